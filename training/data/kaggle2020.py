"""Loader for the Kaggle "Anime Recommendation Database 2020" (hernan4444) list files.

- ``animelist.csv``: ``user_id,anime_id,score,watching_status,watched_episodes`` (109M rows in
  the full file); ``score`` 0 = unscored; ``watching_status`` 1 watching, 2 completed, 3 on
  hold, 4 dropped, 6 plan to watch (the dataset's ``watching_status.csv``).
- ``rating_complete.csv``: ``user_id,anime_id,rating``: completed entries with a 1–10 score (a
  subset of ``animelist.csv``). Its header is the CooperUnion ``rating.csv`` header, so it is told
  apart by its file name.

Both are streamed row by row (plain or gzip), identical entries shared, like the azathoth reader.
"""

from __future__ import annotations

import csv
import io
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Final, Literal

from model.listformats import STATUS_CODES, open_list_file, parse_int_text
from model.profile import ListFormatError, ProfileEntry, dedupe

ANIMELIST_COLUMNS: Final = ("user_id", "anime_id", "score", "watching_status", "watched_episodes")
RATING_COMPLETE_COLUMNS: Final = ("user_id", "anime_id", "rating")
ANIMELIST_NAME: Final = "animelist.csv"
RATING_COMPLETE_NAME: Final = "rating_complete.csv"


def is_rating_complete(path: Path) -> bool:
    return path.name.lower().startswith("rating_complete")


def iter_rows(path: Path, columns: tuple[str, ...], layout: str) -> Iterator[tuple[int, list[str]]]:
    """(line, row) per data row after checking the whole header equals ``columns``."""
    source = str(path)
    try:
        binary = open_list_file(path)
    except OSError as exc:
        raise ListFormatError(source, f"cannot open: {exc.strerror or exc}") from exc
    with io.TextIOWrapper(binary, encoding="utf-8-sig", newline="") as text:
        reader = csv.reader(text)
        try:
            header = next(reader, None)
            if header is None:
                raise ListFormatError(source, "empty file, expected a CSV header", 1)
            if tuple(h.strip() for h in header) != columns:
                raise ListFormatError(
                    source, f"header {','.join(header)!r}, expected {','.join(columns)!r}", 1
                )
            for row in reader:
                if not row:
                    continue
                if len(row) != len(columns):
                    raise ListFormatError(
                        source,
                        f"expected {len(columns)} fields ({layout}), got {len(row)}",
                        reader.line_num,
                    )
                yield reader.line_num, row
        except csv.Error as exc:
            raise ListFormatError(source, f"CSV error: {exc}", reader.line_num) from exc
        except UnicodeDecodeError as exc:
            raise ListFormatError(source, "not UTF-8 text", reader.line_num + 1) from exc
        except (OSError, EOFError, zlib.error) as exc:
            raise ListFormatError(source, f"read error: {exc}", reader.line_num) from exc


def _entry(row: list[str], complete: bool) -> tuple[str, int, int, str]:
    user = str(parse_int_text(row[0], "user_id", 0))
    anime_id = parse_int_text(row[1], "anime_id", 1)
    if complete:
        return user, anime_id, parse_int_text(row[2], "rating", 1, 10), "completed"
    score = parse_int_text(row[2], "score", 0, 10)
    code = parse_int_text(row[3], "watching_status", 0)
    status = STATUS_CODES.get(code)
    if status is None:
        raise ValueError(
            "watching_status must be 1 (watching), 2 (completed), 3 (on hold), 4 (dropped) or "
            f"6 (plan to watch), got {code}"
        )
    return user, anime_id, score, status


def load_kaggle2020(
    path: str | Path,
    *,
    max_users: int | None = None,
    errors: Literal["raise", "skip"] = "raise",
) -> tuple[dict[str, list[ProfileEntry]], int]:
    """``animelist.csv`` or ``rating_complete.csv`` as (``{user_id text: entries}``, rows skipped).

    With ``errors="skip"`` malformed rows are counted instead of raising. A later row for the
    same (user, anime) replaces an earlier one.
    """
    path = Path(path)
    complete = is_rating_complete(path)
    columns = RATING_COMPLETE_COLUMNS if complete else ANIMELIST_COLUMNS
    layout = "Kaggle 2020 " + (RATING_COMPLETE_NAME if complete else ANIMELIST_NAME)
    profiles: dict[str, list[ProfileEntry]] = {}
    shared: dict[tuple[int, int, str], ProfileEntry] = {}
    skipped = 0
    for line, row in iter_rows(path, columns, layout):
        try:
            user, anime_id, score, status = _entry(row, complete)
        except ValueError as exc:
            if errors == "raise":
                raise ListFormatError(str(path), str(exc), line) from None
            skipped += 1
            continue
        entries = profiles.get(user)
        if entries is None:
            if max_users is not None and len(profiles) >= max_users:
                break
            entries = profiles[user] = []
        key = (anime_id, score, status)
        entry = shared.get(key)
        if entry is None:
            entry = shared[key] = ProfileEntry(anime_id, score, status)
        entries.append(entry)
    return {user: dedupe(entries) for user, entries in profiles.items()}, skipped
