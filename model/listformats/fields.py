"""What every list reader shares: MAL's status spellings, strict integer text, the parsed list."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final, Literal

from model.profile import STATUSES, ProfileEntry

DEFAULT_MAX_ENTRIES: Final = 30_000
"""Most distinct anime in one member's list file (MAL's largest real lists are ~20,000)."""

EXPORT_BYTES_PER_ENTRY: Final = 975
"""Bytes per ``<anime>`` in today's MAL export (measured 965–975 with short comments and tags)."""

DEFAULT_MAX_BYTES: Final = DEFAULT_MAX_ENTRIES * 2_000
"""Largest uncompressed list accepted by default: 60 MB, twice today's export at the entry limit.

Sized from the entry limit so that any export within it fits with room for long titles,
comments and tags (30,000 × 975 ≈ 29 MB); the byte cap only stops gzip bombs and padding.
"""

MAX_UPLOAD_BYTES: Final = 8 * 1024 * 1024
"""Largest list file ``/import`` takes, as uploaded: MAL's .xml.gz of 30,000 entries is ~1 MB."""

ListFormatName = Literal["mal_export_xml", "mal_api_json"]
"""The list formats a member's file can be in (:attr:`ParsedList.format`)."""

STATUS_CODES: Final = {
    1: "watching",
    2: "completed",
    3: "on_hold",
    4: "dropped",
    6: "plan_to_watch",
}
"""MAL's numeric list statuses (export XML, azathoth42 CSV); 5 is unused by MAL."""

_STATUS_NAMES: Final = {
    **{name: name for name in STATUSES},
    **{str(code): name for code, name in STATUS_CODES.items()},
    "on-hold": "on_hold",
    "plan to watch": "plan_to_watch",
}


SkipReason = Literal["no_mal_id", "duplicate"]


@dataclass(frozen=True, slots=True)
class SkippedEntry:
    """An entry of the file that is not in :attr:`ParsedList.entries`, and why.

    ``no_mal_id``: the entry has no MyAnimeList id (``<series_animedb_id>0``, written by
    converters for titles MAL does not know). ``duplicate``: another entry of the file has the
    same id with a different score or status, and the later one in the file was kept.
    """

    reason: SkipReason
    line: int | None = None
    anime_id: int | None = None
    title: str | None = None

    def to_json(self) -> dict[str, object]:
        return {
            "reason": self.reason,
            "line": self.line,
            "anime_id": self.anime_id,
            "title": self.title,
        }


@dataclass(frozen=True, slots=True)
class ParsedList:
    """One member's list as read from a file or payload.

    ``titles`` maps anime id to the title the source gave (when it gave one); ``username`` is
    the list owner named by the source (``<myinfo><user_name>`` or ``<username>`` in an export),
    if any. ``skipped`` lists the file's entries left out and why; ``assumed_completed`` counts
    API items without a ``list_status``, read as completed and unscored. ``format`` is the
    format the file was read as, when a reader of one format made it.
    """

    source: str
    entries: list[ProfileEntry]
    titles: dict[int, str] = field(default_factory=dict)
    username: str | None = None
    skipped: list[SkippedEntry] = field(default_factory=list)
    assumed_completed: int = 0
    format: ListFormatName | None = None

    def notes(self) -> list[str]:
        """One sentence per kind of entry not read as written (empty when all were)."""
        notes = []
        missing = sum(s.reason == "no_mal_id" for s in self.skipped)
        if missing:
            notes.append(f"Skipped {_entries(missing)} without a MyAnimeList id.")
        repeated = len({s.anime_id for s in self.skipped if s.reason == "duplicate"})
        if repeated:
            notes.append(
                f"{_titles(repeated)} appeared more than once with a different score or status; "
                "the last entry in the file was kept."
            )
        if self.assumed_completed:
            verb = "was" if self.assumed_completed == 1 else "were"
            notes.append(
                f"{_entries(self.assumed_completed)} had no list status and {verb} read as "
                "completed and unscored."
            )
        return notes


def _entries(n: int) -> str:
    return f"{n:,} entry" if n == 1 else f"{n:,} entries"


def _titles(n: int) -> str:
    return f"{n:,} title" if n == 1 else f"{n:,} titles"


def parse_status(value: object) -> str:
    """MAL status in any of its spellings → the API name (``"On-Hold"``, ``3`` → ``"on_hold"``).

    Accepts the API names, the export's display names (case-insensitive) and the numeric codes
    1, 2, 3, 4, 6. Raises ``ValueError`` with what was expected otherwise.
    """
    if isinstance(value, bool):
        raise ValueError(f"expected a MAL status, got {value!r}")
    key = str(value).strip().lower() if isinstance(value, str | int) else None
    status = _STATUS_NAMES.get(key) if key is not None else None
    if status is None:
        raise ValueError(
            f"unknown status {value!r}; expected one of Watching, Completed, On-Hold, Dropped, "
            "Plan to Watch (or 1, 2, 3, 4, 6, or the MAL API names)"
        )
    return status


def parse_int_text(text: str, what: str, low: int, high: int | None = None) -> int:
    """An integer field given as text, within [low, high]; ``ValueError`` naming it otherwise."""
    stripped = text.strip()
    # int() also takes "1_000" and non-ASCII digits, which no list file legitimately holds.
    digits = stripped[1:] if stripped.startswith("-") else stripped
    if not digits.isascii() or not digits.isdigit():
        raise ValueError(f"{what} must be an integer, got {text!r}")
    value = int(stripped)
    if value < low or (high is not None and value > high):
        bound = f"{low}-{high}" if high is not None else f">= {low}"
        raise ValueError(f"{what} must be {bound}, got {value}")
    return value
