"""Kitsu's JSON:API library payloads read in MAL's terms.

A page of ``GET /library-entries?include=anime.mappings`` holds ``data`` (library entries:
``attributes.status, progress, reconsuming, ratingTwenty, updatedAt``; ``relationships.anime``)
and ``included`` (the anime, whose ``relationships.mappings`` point at mappings with
``externalSite`` and ``externalId``). The MAL id is the mapping whose site is
``myanimelist/anime``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from common.sites import SiteEntry, SiteInvalidResponse, scale_score

SITE = "Kitsu"
MAL_SITE = "myanimelist/anime"
STATUSES = {
    "current": "watching",
    "completed": "completed",
    "on_hold": "on_hold",
    "dropped": "dropped",
    "planned": "plan_to_watch",
}


def _obj(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _ref(resource: Mapping[str, Any], name: str) -> list[tuple[str, str]]:
    """``(type, id)`` pairs of a relationship (to-one or to-many)."""
    data = _obj(_obj(resource.get("relationships")).get(name)).get("data")
    items = data if isinstance(data, list) else [data] if data else []
    return [(str(d.get("type")), str(d.get("id"))) for d in items if isinstance(d, Mapping)]


def _time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def read_page(payload: Mapping[str, Any]) -> list[SiteEntry]:
    """The entries of one page, with their MAL ids found through ``included``."""
    data = payload.get("data")
    if not isinstance(data, list):
        raise SiteInvalidResponse(SITE, "'data' is not a list")
    included = payload.get("included")
    by_key = {
        (str(r.get("type")), str(r.get("id"))): r
        for r in (included if isinstance(included, list) else ())
        if isinstance(r, Mapping)
    }
    entries = []
    for item in data:
        if not isinstance(item, Mapping):
            raise SiteInvalidResponse(SITE, "library entry is not an object")
        attributes = _obj(item.get("attributes"))
        status = STATUSES.get(str(attributes.get("status")))
        anime = [key for key in _ref(item, "anime") if key[0] == "anime"]
        if status is None or not anime or not anime[0][1].isdigit():
            raise SiteInvalidResponse(SITE, f"library entry without status/anime: {item.get('id')}")
        record = _obj(by_key.get(anime[0]))
        mal_id = None
        for key in _ref(record, "mappings"):
            mapping = _obj(_obj(by_key.get(key)).get("attributes"))
            external = str(mapping.get("externalId", ""))
            if mapping.get("externalSite") == MAL_SITE and external.isdigit():
                mal_id = int(external)
                break
        rating = attributes.get("ratingTwenty")
        progress = attributes.get("progress")
        title = _obj(record.get("attributes")).get("canonicalTitle")
        entries.append(
            SiteEntry(
                site_anime_id=int(anime[0][1]),
                mal_id=mal_id,
                status=status,
                score=scale_score(rating if isinstance(rating, int | float) else None, 20.0),
                episodes=progress if isinstance(progress, int) and progress > 0 else 0,
                rewatching=attributes.get("reconsuming") is True,
                updated_at=_time(attributes.get("updatedAt")),
                title=str(title) if title else None,
            )
        )
    return entries
