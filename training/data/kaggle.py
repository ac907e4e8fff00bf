"""Loader for the Kaggle "Anime Recommendations Database" (CooperUnion) layout.

``rating.csv``: ``user_id,anime_id,rating`` with ``rating`` the user's 1–10 score or −1 for an
entry on the list without a score. The dump has no list status, so every entry becomes
``ProfileEntry(anime_id, score, status=None)`` (treated as completed by the status rule).
``anime.csv``: ``anime_id,name,genre,type,episodes,rating,members`` metadata.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from model.profile import ListFormatError, ProfileEntry

RATING_COLUMNS = ("user_id", "anime_id", "rating")
ANIME_COLUMNS = ("anime_id", "name", "genre", "type", "episodes", "rating", "members")


@dataclass(frozen=True, slots=True)
class RatingTable:
    """All rows of a ``rating.csv`` as parallel arrays (file order); ``score`` 0 = unscored."""

    user_ids: np.ndarray  # int64
    anime_ids: np.ndarray  # int64
    scores: np.ndarray  # int8, 0–10

    def __len__(self) -> int:
        return int(self.user_ids.size)

    def profiles(self) -> dict[int, list[ProfileEntry]]:
        """Each user's entries, users in first-seen order, entries in file order."""
        order = np.argsort(self.user_ids, kind="stable")
        users = self.user_ids[order]
        starts = np.flatnonzero(np.r_[True, users[1:] != users[:-1]])
        ends = np.r_[starts[1:], users.size]
        first_seen = np.argsort(order[starts], kind="stable")
        anime = self.anime_ids[order].tolist()
        scores = self.scores[order].tolist()
        result: dict[int, list[ProfileEntry]] = {}
        for k in first_seen:
            a, b = int(starts[k]), int(ends[k])
            result[int(users[a])] = [ProfileEntry(anime[j], scores[j]) for j in range(a, b)]
        return result


@dataclass(frozen=True, slots=True)
class AnimeInfo:
    """One row of ``anime.csv``; ``media_type`` is MAL's lowercase name (``"unknown"`` if empty)."""

    anime_id: int
    name: str
    genres: tuple[str, ...]
    media_type: str
    episodes: int | None
    mean: float | None
    members: int | None


def _rows(path: Path, columns: tuple[str, ...]) -> Iterator[tuple[int, list[str]]]:
    """(line number, row) for each data row, after checking the header."""
    source = str(path)
    try:
        handle = path.open(newline="", encoding="utf-8")
    except OSError as error:
        raise ListFormatError(source, f"cannot open: {error.strerror or error}") from error
    with handle:
        reader = csv.reader(handle)
        try:
            header = next(reader, None)
            if header is None:
                raise ListFormatError(source, "empty file, expected a header", 1)
            header = [h.strip().lstrip("\ufeff") for h in header]
            if tuple(header[: len(columns)]) != columns:
                raise ListFormatError(
                    source, f"header {','.join(header)!r}, expected {','.join(columns)!r}", 1
                )
            for row in reader:
                if row:
                    yield reader.line_num, row
        except csv.Error as error:
            raise ListFormatError(source, f"CSV error: {error}", reader.line_num) from error
        except UnicodeDecodeError as error:
            raise ListFormatError(source, "not UTF-8 text", reader.line_num + 1) from error


def load_ratings(path: str | Path) -> RatingTable:
    """Read a CooperUnion ``rating.csv``; any malformed row raises :class:`ListFormatError`."""
    path = Path(path)
    source = str(path)
    users: list[int] = []
    anime: list[int] = []
    scores: list[int] = []
    for line, row in _rows(path, RATING_COLUMNS):
        if len(row) != 3:
            raise ListFormatError(source, f"expected 3 fields, got {len(row)}", line)
        try:
            user, anime_id, rating = int(row[0]), int(row[1]), int(row[2])
        except ValueError:
            raise ListFormatError(source, f"non-integer field in {','.join(row)!r}", line) from None
        if user < 0 or anime_id <= 0:
            raise ListFormatError(source, f"invalid id in {','.join(row)!r}", line)
        if rating == -1:
            rating = 0
        elif not 1 <= rating <= 10:
            raise ListFormatError(source, f"rating must be 1-10 or -1, got {rating}", line)
        users.append(user)
        anime.append(anime_id)
        scores.append(rating)
    return RatingTable(
        user_ids=np.asarray(users, dtype=np.int64),
        anime_ids=np.asarray(anime, dtype=np.int64),
        scores=np.asarray(scores, dtype=np.int8),
    )


def load_profiles(path: str | Path) -> dict[int, list[ProfileEntry]]:
    """``rating.csv`` as ``{user_id: [ProfileEntry, ...]}``."""
    return load_ratings(path).profiles()


def _optional_text(text: str) -> str | None:
    text = text.strip()
    return None if not text or text.lower() == "unknown" else text


def _optional_int(text: str) -> int | None:
    value = _optional_text(text)
    return None if value is None else int(value)


def _optional_float(text: str) -> float | None:
    value = _optional_text(text)
    return None if value is None else float(value)


def load_anime(path: str | Path) -> dict[int, AnimeInfo]:
    """Read a CooperUnion ``anime.csv`` into ``{anime_id: AnimeInfo}``."""
    path = Path(path)
    source = str(path)
    result: dict[int, AnimeInfo] = {}
    for line, row in _rows(path, ANIME_COLUMNS):
        if len(row) != len(ANIME_COLUMNS):
            raise ListFormatError(source, f"expected 7 fields, got {len(row)}", line)
        try:
            anime_id = int(row[0])
            episodes = _optional_int(row[4])
            mean = _optional_float(row[5])
            members = _optional_int(row[6])
        except ValueError:
            raise ListFormatError(source, f"bad number in {','.join(row)!r}", line) from None
        media_type = row[3].strip().lower().replace(" ", "_") or "unknown"
        genres = tuple(g.strip() for g in row[2].split(",") if g.strip())
        result[anime_id] = AnimeInfo(anime_id, row[1], genres, media_type, episodes, mean, members)
    return result
