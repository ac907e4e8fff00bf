"""The one in-memory profile type every data source becomes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

STATUSES: Final = ("watching", "completed", "on_hold", "dropped", "plan_to_watch")
"""MAL's list statuses, as the MAL API v2 names them."""

WATCHED_STATUSES: Final = frozenset({"watching", "completed", "dropped"})
"""Statuses that enter the model's input even without a score (DESIGN.md, "Statuses")."""


@dataclass(frozen=True, slots=True)
class ProfileEntry:
    """One entry of a member's list.

    ``score`` is MAL's 1–10 score, 0 when unscored. ``status`` is one of :data:`STATUSES`, or
    ``None`` when the source has no status (Kaggle ``rating.csv``): treated as completed.
    """

    anime_id: int
    score: int = 0
    status: str | None = None

    def __post_init__(self) -> None:
        if not 0 <= self.score <= 10:
            raise ValueError(f"score must be 0-10 (0 = unscored), got {self.score}")
        if self.status is not None and self.status not in STATUSES:
            raise ValueError(f"unknown status {self.status!r}; expected one of {STATUSES}")

    @property
    def is_scored(self) -> bool:
        return self.score > 0

    @property
    def is_planned(self) -> bool:
        return self.status == "plan_to_watch"

    @property
    def enters_input(self) -> bool:
        """The status rule: scored entries and watched ones (completed/watching/dropped) count.

        Unscored plan-to-watch and on-hold entries stay out of the model's input. Training and
        serving both call this, so they cannot disagree.
        """
        return self.is_scored or self.status is None or self.status in WATCHED_STATUSES


def dedupe(entries: Iterable[ProfileEntry]) -> list[ProfileEntry]:
    """One entry per anime id: the last row for an id wins, in that last row's place.

    The result is the input without every row whose anime id occurs again later, so it keeps
    the input's order otherwise; a list without duplicates comes back unchanged (as a new list).
    """
    rows = list(entries)
    if len({e.anime_id for e in rows}) == len(rows):
        return rows
    seen: set[int] = set()
    kept: list[ProfileEntry] = []
    for entry in reversed(rows):
        if entry.anime_id not in seen:
            seen.add(entry.anime_id)
            kept.append(entry)
    kept.reverse()
    return kept


class ListFormatError(ValueError):
    """A list file or payload could not be read; says which file (or source) and which line."""

    def __init__(self, source: str, message: str, line: int | None = None) -> None:
        self.source = source
        self.line = line
        where = f"{source}, line {line}" if line is not None else source
        super().__init__(f"{where}: {message}")
