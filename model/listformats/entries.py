"""Collecting a file's entries: one per anime id, conflicts noted, the entry limit enforced.

The rule for an id that appears more than once in one file: **the last entry in the file wins**,
in that entry's place. It is the rule of every other reader here (API pages, the collector, the
bot's own store) and of tools that append an edited entry rather than rewrite it; MAL's exports
carry no per-entry update time to decide by. An identical repeat changes nothing and is not
reported; a repeat with a different score or status is kept in :attr:`ParsedList.skipped`
(reason ``duplicate``, the earlier entry's line), so the member is told.
"""

from __future__ import annotations

from model.listformats.bounded import ListTooLarge
from model.listformats.fields import SkippedEntry
from model.profile import ProfileEntry, dedupe


class EntryCollector:
    """Entries in file order, with the duplicates and entries left out on the way."""

    def __init__(self, source: str, max_entries: int | None = None) -> None:
        self.source = source
        self.max_entries = max_entries
        self.entries: list[ProfileEntry] = []
        self.titles: dict[int, str] = {}
        self.skipped: list[SkippedEntry] = []
        self._seen: dict[int, tuple[ProfileEntry, int | None]] = {}

    def add(self, entry: ProfileEntry, line: int | None = None, title: str | None = None) -> None:
        earlier = self._seen.get(entry.anime_id)
        if earlier is not None and earlier[0] != entry:
            old_title = self.titles.get(entry.anime_id)
            self.skipped.append(SkippedEntry("duplicate", earlier[1], entry.anime_id, old_title))
        self._seen[entry.anime_id] = (entry, line)
        if self.max_entries is not None and len(self._seen) > self.max_entries:
            raise ListTooLarge(
                self.source,
                f"more than {self.max_entries:,} entries",
                limit="entries",
                maximum=self.max_entries,
            )
        self.entries.append(entry)
        if title:
            self.titles[entry.anime_id] = title

    def skip(self, reason: str, line: int | None, title: str | None) -> None:
        """An entry left out for ``reason`` (``no_mal_id``)."""
        assert reason == "no_mal_id"
        self.skipped.append(SkippedEntry("no_mal_id", line, None, title))

    def result(self) -> list[ProfileEntry]:
        return dedupe(self.entries)
