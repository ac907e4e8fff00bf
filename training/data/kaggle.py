"""Loader for the Kaggle "Anime Recommendations Database" (CooperUnion) layout.

``rating.csv``: ``user_id,anime_id,rating`` with ``rating`` the user's 1–10 score or −1 for an
entry on the list without a score. The dump has no list status, so every entry becomes
``ProfileEntry(anime_id, score, status=None)`` (treated as completed by the status rule).
``anime.csv``: ``anime_id,name,genre,type,episodes,rating,members`` metadata, or any subset of
those columns that starts with ``anime_id,name`` (the shipped sample keeps ``anime_id,name,type``).
Either file may be gzip-compressed (``rating.csv.gz``, ``anime.csv.gz``; told by the magic bytes).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from model.listformats import open_list_file
from model.profile import ListFormatError, ProfileEntry

RATING_COLUMNS = ("user_id", "anime_id", "rating")
ANIME_COLUMNS = ("anime_id", "name", "genre", "type", "episodes", "rating", "members")
ANIME_REQUIRED = ("anime_id", "name")


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


def _rows(
    path: Path, columns: tuple[str, ...], header_out: list[str] | None = None
) -> Iterator[tuple[int, list[str]]]:
    """(line number, row) for each data row, after checking that the header starts with
    ``columns``; the whole header is appended to ``header_out`` when given."""
    source = str(path)
    try:
        raw = open_list_file(path)
    except OSError as error:
        raise ListFormatError(source, f"cannot open: {error.strerror or error}") from error
    with raw, io.TextIOWrapper(raw, encoding="utf-8", newline="") as handle:
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
            if header_out is not None:
                header_out.extend(header)
            for row in reader:
                if row:
                    yield reader.line_num, row
        except csv.Error as error:
            raise ListFormatError(source, f"CSV error: {error}", reader.line_num) from error
        except UnicodeDecodeError as error:
            raise ListFormatError(source, "not UTF-8 text", reader.line_num + 1) from error
        except (OSError, EOFError) as error:  # a truncated or corrupt gzip stream
            raise ListFormatError(source, f"unreadable: {error}", reader.line_num) from error


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


def has_anime_header(header: list[str]) -> bool:
    """Whether a CSV header is CooperUnion's ``anime.csv`` layout or a subset of its columns
    starting with ``anime_id,name`` (the Kaggle 2020 ``anime.csv`` has another layout)."""
    return tuple(header[:2]) == ANIME_REQUIRED and set(header) <= set(ANIME_COLUMNS)


def load_anime(path: str | Path) -> dict[int, AnimeInfo]:
    """Read a CooperUnion ``anime.csv`` (or a column subset, see the module doc) into
    ``{anime_id: AnimeInfo}``; a missing column reads as unknown."""
    path = Path(path)
    source = str(path)
    result: dict[int, AnimeInfo] = {}
    header: list[str] = []
    for line, row in _rows(path, ANIME_REQUIRED, header):
        if not has_anime_header(header):
            raise ListFormatError(
                source, f"header {','.join(header)!r}, expected {','.join(ANIME_COLUMNS)!r}", 1
            )
        if len(row) != len(header):
            raise ListFormatError(source, f"expected {len(header)} fields, got {len(row)}", line)
        field = dict(zip(header, row, strict=True))
        try:
            anime_id = int(row[0])
            episodes = _optional_int(field.get("episodes", ""))
            mean = _optional_float(field.get("rating", ""))
            members = _optional_int(field.get("members", ""))
        except ValueError:
            raise ListFormatError(source, f"bad number in {','.join(row)!r}", line) from None
        media_type = field.get("type", "").strip().lower().replace(" ", "_") or "unknown"
        genres = tuple(g.strip() for g in field.get("genre", "").split(",") if g.strip())
        result[anime_id] = AnimeInfo(anime_id, row[1], genres, media_type, episodes, mean, members)
    return result
