"""AniList's list payloads read in MAL's terms: statuses, score formats, entries.

Score formats (``User.mediaListOptions.scoreFormat``) and the scale each is read on:
POINT_100 (0–100), POINT_10_DECIMAL (0–10.0), POINT_10 (0–10), POINT_5 (stars, 0–5) and POINT_3
(smileys, 0–3); :func:`common.sites.scale_score` maps each to 1–10 (0 = unscored).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from common.sites import SiteEntry, SiteInvalidResponse, scale_score

SITE = "AniList"
SCORE_SCALES = {
    "POINT_100": 100.0,
    "POINT_10_DECIMAL": 10.0,
    "POINT_10": 10.0,
    "POINT_5": 5.0,
    "POINT_3": 3.0,
}
STATUSES = {
    "CURRENT": "watching",
    "COMPLETED": "completed",
    "PAUSED": "on_hold",
    "DROPPED": "dropped",
    "PLANNING": "plan_to_watch",
    "REPEATING": "completed",  # rewatching: MAL keeps "completed" with is_rewatching
}


def score_scale(score_format: object) -> float:
    """The top of the user's score format; an unknown format is read as POINT_100 (AniList's
    own storage scale) rather than failing the whole list."""
    return SCORE_SCALES.get(str(score_format), 100.0)


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def read_entry(item: Mapping[str, Any], scale: float) -> SiteEntry:
    """One ``MediaList`` (``mediaId, status, score, progress, updatedAt, media{idMal, title}``)."""
    media = item.get("media") if isinstance(item.get("media"), Mapping) else {}
    assert isinstance(media, Mapping)
    media_id = item.get("mediaId")
    status = STATUSES.get(str(item.get("status")))
    if not isinstance(media_id, int) or status is None:
        raise SiteInvalidResponse(SITE, f"list entry without mediaId/status: {dict(item)!r:.200}")
    mal_id = media.get("idMal")
    stamp = item.get("updatedAt")
    title = media.get("title") if isinstance(media.get("title"), Mapping) else {}
    assert isinstance(title, Mapping)
    name = title.get("userPreferred") or title.get("romaji") or title.get("english")
    score = item.get("score")
    return SiteEntry(
        site_anime_id=media_id,
        mal_id=mal_id if isinstance(mal_id, int) and mal_id > 0 else None,
        status=status,
        score=scale_score(score if isinstance(score, int | float) else None, scale),
        episodes=_int(item.get("progress")),
        rewatching=item.get("status") == "REPEATING",
        updated_at=datetime.fromtimestamp(_int(stamp), UTC) if _int(stamp) else None,
        title=str(name) if name else None,
    )


def read_lists(lists: object, scale: float) -> Iterable[SiteEntry]:
    """Entries of ``MediaListCollection.lists``, each title once: an entry shown in a custom list
    and in its status list appears twice; status lists come first and win."""
    if not isinstance(lists, list):
        raise SiteInvalidResponse(SITE, "MediaListCollection.lists is not a list")
    ordered = sorted(
        (g for g in lists if isinstance(g, Mapping)), key=lambda g: bool(g.get("isCustomList"))
    )
    seen: set[int] = set()
    for group in ordered:
        items = group.get("entries")
        for item in items if isinstance(items, list) else ():
            if not isinstance(item, Mapping):
                continue
            entry = read_entry(item, scale)
            if entry.site_anime_id not in seen:
                seen.add(entry.site_anime_id)
                yield entry
