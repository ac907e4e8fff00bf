"""Loader for the Kaggle "MyAnimeList Dataset" (azathoth42) ``animelists_cleaned.csv`` layout.

Columns used (others ignored, any order): ``username``, ``anime_id``, ``my_score`` (0 =
unscored) and ``my_status`` (1 watching, 2 completed, 3 on hold, 4 dropped, 6 plan to watch).
The real file is about 2 GB with 31 million rows, so it is streamed row by row and identical
entries are shared (one ``ProfileEntry`` object per distinct (anime, score, status)).
"""

from __future__ import annotations

import csv
import io
import logging
import zlib
from collections.abc import Generator
from contextlib import closing
from pathlib import Path
from typing import Final, Literal

from model.listformats import STATUS_CODES, open_list_file, parse_int_text
from model.profile import ListFormatError, ProfileEntry, dedupe

log = logging.getLogger(__name__)

REQUIRED_COLUMNS: Final = ("username", "anime_id", "my_score", "my_status")

csv.field_size_limit(1 << 24)  # my_tags can be long; the default 128 KiB rejects real rows


def is_azathoth_header(header: list[str]) -> bool:
    """Whether a CSV header has the columns this loader needs."""
    names = {h.strip().lstrip("\ufeff") for h in header}
    return all(column in names for column in REQUIRED_COLUMNS)


def iter_rows(path: str | Path) -> Generator[tuple[int, str, list[str]], None, None]:
    """(first line, username, [anime_id, my_score, my_status] texts) per data row, streamed."""
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
            names = [h.strip() for h in header]
            missing = [c for c in REQUIRED_COLUMNS if c not in names]
            if missing:
                raise ListFormatError(
                    source,
                    f"missing column(s) {', '.join(missing)}; expected the azathoth42 "
                    f"animelists_cleaned.csv layout with {', '.join(REQUIRED_COLUMNS)}",
                    1,
                )
            user_col, *value_cols = (names.index(c) for c in REQUIRED_COLUMNS)
            width = max(user_col, *value_cols) + 1
            end = reader.line_num
            for row in reader:
                # a quoted field may span lines: report the line the row starts on
                start, end = end + 1, reader.line_num
                if not row:
                    continue
                if len(row) < width:
                    raise ListFormatError(
                        source, f"expected {len(names)} fields, got {len(row)}", start
                    )
                yield start, row[user_col], [row[c] for c in value_cols]
        except csv.Error as exc:
            raise ListFormatError(source, f"CSV error: {exc}", reader.line_num) from exc
        except UnicodeDecodeError as exc:
            raise ListFormatError(source, "not UTF-8 text", reader.line_num + 1) from exc
        except (OSError, EOFError, zlib.error) as exc:  # truncated or corrupt gzip
            raise ListFormatError(source, f"read error: {exc}", reader.line_num) from exc


def load_azathoth(
    path: str | Path,
    *,
    max_users: int | None = None,
    errors: Literal["raise", "skip"] = "raise",
) -> dict[str, list[ProfileEntry]]:
    """Read an ``animelists_cleaned.csv`` (plain or gzip) into ``{username: entries}``.

    ``max_users`` stops after that many distinct users (quick runs on the full dump, which is
    grouped by user). With ``errors="skip"`` malformed rows are counted and logged instead of
    raising :class:`ListFormatError`. A later row for the same (user, anime) replaces an earlier.
    """
    source = str(path)
    profiles: dict[str, list[ProfileEntry]] = {}
    shared: dict[tuple[int, int, str], ProfileEntry] = {}
    skipped = 0
    with closing(iter_rows(path)) as rows:
        for line, username, (anime_text, score_text, status_text) in rows:
            try:
                user = username.strip()
                if not user:
                    raise ValueError("empty username")
                anime_id = parse_int_text(anime_text, "anime_id", 1)
                score = parse_int_text(score_text, "my_score", 0, 10)
                code = parse_int_text(status_text, "my_status", 0)
                status = STATUS_CODES.get(code)
                if status is None:
                    raise ValueError(
                        f"my_status must be 1 (watching), 2 (completed), 3 (on hold), 4 (dropped) "
                        f"or 6 (plan to watch), got {code}"
                    )
            except ValueError as exc:
                if errors == "raise":
                    raise ListFormatError(source, str(exc), line) from None
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
    if skipped:
        log.warning("%s: skipped %d malformed row(s)", source, skipped)
    return {user: dedupe(entries) for user, entries in profiles.items()}
