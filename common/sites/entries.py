"""A list fetched from AniList or Kitsu, in MyAnimeList's terms: MAL ids, MAL statuses, 1–10.

Entries whose title the site does not map to a MyAnimeList id keep ``mal_id=None`` and the
site's own anime id: they are stored apart and counted as unknown (``unmapped_entries``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal


def scale_score(raw: float | int | None, out_of: float) -> int:
    """A score on a 0..``out_of`` scale as MAL's 1–10: ``round_half_up(raw · 10 / out_of)``,
    at least 1 when scored; 0 (unscored) for 0, ``None`` or a negative value.

    One rule for every AniList format (out of 100, 10 with decimals, 10, 5 stars, 3 smileys:
    3 → 10, 2 → 7, 1 → 3) and for Kitsu's ``ratingTwenty`` (2–20 → 1–10)."""
    if raw is None or raw <= 0 or out_of <= 0:
        return 0
    scaled = (Decimal(str(raw)) * 10 / Decimal(str(out_of))).quantize(
        Decimal(1), rounding=ROUND_HALF_UP
    )
    return max(1, min(10, int(scaled)))


@dataclass(frozen=True, slots=True)
class SiteEntry:
    """One list entry: ``status`` is MAL's (watching, completed, on_hold, dropped,
    plan_to_watch), ``score`` 0 (unscored) or 1–10."""

    site_anime_id: int
    mal_id: int | None
    status: str
    score: int
    episodes: int = 0
    rewatching: bool = False
    updated_at: datetime | None = None
    title: str | None = None


@dataclass(frozen=True, slots=True)
class SiteList:
    """A user's whole anime list on one site."""

    site: str  # "anilist" or "kitsu"
    username: str  # as the site spells it
    user_id: str
    entries: list[SiteEntry] = field(default_factory=list)

    @property
    def mapped(self) -> list[SiteEntry]:
        return [e for e in self.entries if e.mal_id is not None]

    @property
    def unmapped(self) -> list[SiteEntry]:
        return [e for e in self.entries if e.mal_id is None]
