"""Loader for the collector's output (``python -m training collect``): gzip JSONL files.

One line per fetched user (contract in the briefs)::

    {"username": "alice", "http_status": 200, "fetched_at": "2026-01-02T03:04:05+00:00",
     "entries": [{"anime_id": 1, "status": "completed", "score": 9,
                  "num_episodes_watched": 26, "updated_at": "..."}]}

Only ``http_status == 200`` lines are lists. A user fetched several times (usernames compare
case-insensitively, as on MAL) is represented by the fetch with the latest ``fetched_at`` (ties:
the later line); if that fetch found the list private (403) or gone (404), the user is left
out, because an older copy of a list its owner has since hidden or deleted should not be used.
"""

from __future__ import annotations

import io
import json
import logging
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from model.listformats import open_list_file
from model.profile import STATUSES, ListFormatError, ProfileEntry, dedupe

log = logging.getLogger(__name__)

COLLECTED_SUFFIXES = (".jsonl.gz", ".jsonl")


def is_collected_file(path: Path) -> bool:
    """Whether a file name says collector output."""
    return path.name.lower().endswith(COLLECTED_SUFFIXES)


@dataclass(frozen=True, slots=True)
class FetchRecord:
    """One collector line: who, when, what MAL answered and (for 200) the list."""

    username: str
    http_status: int
    fetched_at: datetime
    entries: list[ProfileEntry]
    source: str
    line: int


def _field(record: Mapping[str, Any], key: str, kind: type | tuple[type, ...]) -> Any:
    if key not in record:
        raise ValueError(f"missing {key!r}")
    value = record[key]
    if not isinstance(value, kind) or isinstance(value, bool):
        raise ValueError(f"{key!r} has the wrong type ({type(value).__name__}: {value!r:.40})")
    return value


def parse_record(text: str, source: str, line: int) -> FetchRecord:
    """One JSON line → :class:`FetchRecord`; ``ValueError`` saying what is wrong otherwise."""
    try:
        record = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"invalid JSON ({exc.msg}, column {exc.colno})") from None
    if not isinstance(record, dict):
        raise ValueError(f"expected a JSON object per line, got {type(record).__name__}")
    username = _field(record, "username", str).strip()
    if not username:
        raise ValueError("empty 'username'")
    status_code = _field(record, "http_status", int)
    stamp = _field(record, "fetched_at", str)
    try:
        fetched_at = datetime.fromisoformat(stamp)
    except ValueError:
        raise ValueError(f"'fetched_at' is not ISO-8601: {stamp!r:.40}") from None
    if fetched_at.tzinfo is None:
        fetched_at = fetched_at.replace(tzinfo=UTC)
    entries: list[ProfileEntry] = []
    if status_code == 200:
        for i, item in enumerate(_field(record, "entries", list)):
            if not isinstance(item, dict):
                raise ValueError(f"entries[{i}] is not an object")
            try:
                anime_id = _field(item, "anime_id", int)
                score = _field(item, "score", int)
                status = _field(item, "status", str)
            except ValueError as exc:
                raise ValueError(f"entries[{i}]: {exc}") from None
            if anime_id < 1:
                raise ValueError(f"entries[{i}]: anime_id must be >= 1, got {anime_id}")
            if not 0 <= score <= 10:
                raise ValueError(f"entries[{i}]: score must be 0-10, got {score}")
            if status not in STATUSES:
                raise ValueError(
                    f"entries[{i}]: unknown status {status!r}; expected one of {STATUSES}"
                )
            entries.append(ProfileEntry(anime_id, score, status))
    return FetchRecord(username, status_code, fetched_at, dedupe(entries), source, line)


def iter_records(
    path: Path, *, errors: Literal["raise", "skip"] = "raise"
) -> Iterator[FetchRecord]:
    """The records of one collector file, in order; bad lines raise (or are skipped and logged)."""
    source = str(path)
    skipped = 0
    line = 0
    try:
        with open_list_file(path) as binary, io.TextIOWrapper(binary, encoding="utf-8") as text:
            for line, raw in enumerate(text, start=1):
                if not raw.strip():
                    continue
                try:
                    record = parse_record(raw, source, line)
                except ValueError as exc:
                    if errors == "raise":
                        raise ListFormatError(source, str(exc), line) from None
                    skipped += 1
                    continue
                yield record
    except (OSError, EOFError, zlib.error, UnicodeDecodeError) as exc:
        # A collector killed mid-write leaves a truncated gzip member.
        message = f"unreadable after line {line} ({exc}); was the collector interrupted?"
        if errors == "raise":
            raise ListFormatError(source, message, line + 1) from exc
        log.warning("%s: %s", source, message)
    if skipped:
        log.warning("%s: skipped %d malformed line(s)", source, skipped)


def collected_files(path: Path) -> list[Path]:
    """The collector files at ``path``: the file itself, or a directory's ``*.jsonl(.gz)``."""
    if not path.is_dir():
        return [path]
    files = sorted(p for p in path.iterdir() if p.is_file() and is_collected_file(p))
    if not files:
        raise ListFormatError(str(path), "no *.jsonl.gz collector files in this directory")
    return files


def load_collected(
    path: str | Path, *, errors: Literal["raise", "skip"] = "raise"
) -> dict[str, list[ProfileEntry]]:
    """The collector's directory (or one file) as ``{username: entries}`` (see module doc)."""
    latest: dict[str, FetchRecord] = {}
    for file in collected_files(Path(path)):
        for record in iter_records(file, errors=errors):
            key = record.username.casefold()
            current = latest.get(key)
            if current is None or record.fetched_at >= current.fetched_at:
                latest[key] = record
    return {r.username: r.entries for r in latest.values() if r.http_status == 200}
