"""What every list reader shares: MAL's status spellings, strict integer text, the parsed list."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from model.profile import STATUSES, ProfileEntry

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


@dataclass(frozen=True, slots=True)
class ParsedList:
    """One member's list as read from a file or payload.

    ``titles`` maps anime id to the title the source gave (when it gave one); ``username`` is
    the list owner named by the source (``<myinfo><user_name>`` in an export), if any.
    """

    source: str
    entries: list[ProfileEntry]
    titles: dict[int, str] = field(default_factory=dict)
    username: str | None = None


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
