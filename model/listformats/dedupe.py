"""One entry per anime id in a parsed list."""

from __future__ import annotations

from collections.abc import Sequence

from model.profile import ProfileEntry


def dedupe_entries(entries: Sequence[ProfileEntry]) -> list[ProfileEntry]:
    """Entries with one per anime id: a later entry for the same id replaces the earlier one."""
    if len({e.anime_id for e in entries}) == len(entries):
        return list(entries)
    latest: dict[int, ProfileEntry] = {}
    for entry in entries:
        latest.pop(entry.anime_id, None)
        latest[entry.anime_id] = entry
    return list(latest.values())
