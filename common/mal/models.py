"""Typed views of MAL API v2 payloads: list entries and anime details.

Parsing is strict about what we rely on (ids, statuses, scores) and lenient about the rest:
a payload that lacks a required field raises :class:`~common.mal.errors.InvalidResponse`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from common.mal.errors import InvalidResponse
from model.listformats.api_json import parse_list_item
from model.profile import STATUSES, ProfileEntry


def _mapping(value: object) -> Mapping[str, Any]:
    """``value`` if it is a JSON object, else empty (an optional field of the wrong type)."""
    return value if isinstance(value, Mapping) else {}


def _count(value: object) -> int:
    """A non-negative count from an optional field; 0 when absent or not a finite number."""
    if not isinstance(value, int | float | str | bytes):
        return 0
    try:
        return max(int(value), 0)
    except (ValueError, OverflowError):
        return 0


def parse_datetime(value: object) -> datetime | None:
    """MAL's ISO-8601 timestamps (``2017-11-11T19:51:22+00:00``); ``None`` when absent or odd."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class MalListEntry:
    """One entry of a user's MAL anime list (``GET /users/{name}/animelist``)."""

    anime_id: int
    status: str
    score: int
    num_episodes_watched: int
    is_rewatching: bool
    updated_at: datetime | None
    title: str | None = None

    @classmethod
    def from_api(cls, item: Mapping[str, Any]) -> MalListEntry:
        """From one element of the ``data`` array (``{"node": ..., "list_status": ...}``).

        Read by :func:`model.listformats.parse_list_item`, the same rule as an uploaded page: an
        item without ``list_status`` is completed and unscored; a manga status or any other
        unknown status, a non-int id or score, is an :class:`InvalidResponse`.
        """
        try:
            parsed = parse_list_item(item)
        except ValueError as exc:
            raise InvalidResponse(f"list entry not readable: {exc}") from None
        return cls(
            anime_id=parsed.anime_id,
            status=parsed.status,
            score=parsed.score,
            num_episodes_watched=parsed.num_episodes_watched,
            is_rewatching=parsed.is_rewatching,
            updated_at=parse_datetime(parsed.updated_at),
            title=parsed.title,
        )

    def to_profile_entry(self) -> ProfileEntry:
        """The model's view: score clamped to 0–10, an unknown status becomes ``None``."""
        return ProfileEntry(
            anime_id=self.anime_id,
            score=min(max(self.score, 0), 10),
            status=self.status if self.status in STATUSES else None,
        )

    def to_record(self) -> dict[str, Any]:
        """The collector's JSON form (see ``training/collect.py``)."""
        return {
            "anime_id": self.anime_id,
            "status": self.status,
            "score": self.score,
            "num_episodes_watched": self.num_episodes_watched,
            "updated_at": self.updated_at.isoformat() if self.updated_at else None,
        }


@dataclass(frozen=True, slots=True)
class AlternativeTitles:
    """English and Japanese titles and synonyms (empty strings / tuple when MAL has none)."""

    en: str = ""
    ja: str = ""
    synonyms: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class StartSeason:
    """The season an anime started airing, e.g. ``StartSeason(2015, "summer")``."""

    year: int
    season: str

    def __str__(self) -> str:
        return f"{self.season.capitalize()} {self.year}"


LISTING_FIELDS = (
    "id,title,main_picture,alternative_titles,media_type,genres,mean,num_list_users,nsfw,"
    "start_season,num_episodes,studios,status,num_scoring_users,popularity"
)
"""The ``fields`` of the season and ranking pages (MAL serves ``related_anime`` only in details)."""
ANIME_FIELDS = LISTING_FIELDS + ",related_anime"
"""The ``fields`` parameter :meth:`MalClient.get_anime` asks for."""


@dataclass(frozen=True, slots=True)
class RelatedAnime:
    """One entry of MAL's ``related_anime``: ``relation_type`` is what the other title is to
    this one (``sequel``, ``prequel``, ``side_story``, ``alternative_version``, ...)."""

    anime_id: int
    relation_type: str


@dataclass(frozen=True, slots=True)
class MalAnime:
    """An anime's details (``GET /anime/{id}``)."""

    id: int
    title: str
    alternative_titles: AlternativeTitles
    main_picture: str | None
    media_type: str
    genres: tuple[str, ...]
    mean: float | None
    num_list_users: int
    nsfw: str | None
    start_season: StartSeason | None
    num_episodes: int
    studios: tuple[str, ...] = ()
    status: str | None = None  # finished_airing, currently_airing, not_yet_aired
    num_scoring_users: int = 0
    popularity: int | None = None  # MAL's popularity rank (1 = most members)
    related: tuple[RelatedAnime, ...] = ()

    @classmethod
    def from_api(cls, payload: Mapping[str, Any]) -> MalAnime:
        try:
            anime_id = int(payload["id"])
            title = str(payload["title"])
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidResponse(f"anime payload without id/title: {exc!r}") from None
        # Optional fields of the wrong type are dropped, not fatal: one odd title must not
        # fail /recommend's cover fetch or stall the background catalog fill on that title.
        alt = _mapping(payload.get("alternative_titles"))
        picture = _mapping(payload.get("main_picture"))
        season = _mapping(payload.get("start_season"))
        synonyms = alt.get("synonyms")
        mean = payload.get("mean")
        try:
            start = StartSeason(int(season["year"]), str(season["season"])) if season else None
        except (KeyError, TypeError, ValueError):
            start = None
        return cls(
            id=anime_id,
            title=title,
            alternative_titles=AlternativeTitles(
                en=str(alt.get("en") or ""),
                ja=str(alt.get("ja") or ""),
                synonyms=tuple(str(s) for s in synonyms) if isinstance(synonyms, list) else (),
            ),
            main_picture=_picture(picture),
            media_type=str(payload.get("media_type") or "unknown"),
            genres=_genres(payload.get("genres")),
            mean=float(mean) if isinstance(mean, int | float) else None,
            num_list_users=_count(payload.get("num_list_users")),
            nsfw=payload.get("nsfw") if isinstance(payload.get("nsfw"), str) else None,
            start_season=start,
            num_episodes=_count(payload.get("num_episodes")),
            studios=_genres(payload.get("studios")),
            status=payload.get("status") if isinstance(payload.get("status"), str) else None,
            num_scoring_users=_count(payload.get("num_scoring_users")),
            popularity=_count(payload.get("popularity")) or None,
            related=_related(payload.get("related_anime")),
        )


@dataclass(frozen=True, slots=True)
class AnimePage:
    """One page of a season or ranking listing; ``next_offset`` is None on the last page."""

    anime: tuple[MalAnime, ...]
    next_offset: int | None


def _picture(picture: Mapping[str, Any]) -> str | None:
    url = picture.get("large") or picture.get("medium")
    return url if isinstance(url, str) else None


def _related(related: object) -> tuple[RelatedAnime, ...]:
    """``related_anime`` entries with an id and a relation type; odd ones are skipped."""
    if not isinstance(related, list):
        return ()
    out = []
    for item in related:
        node = _mapping(_mapping(item).get("node"))
        kind = _mapping(item).get("relation_type")
        if not isinstance(kind, str):
            continue
        try:
            out.append(RelatedAnime(int(node["id"]), kind))
        except (KeyError, TypeError, ValueError):
            continue
    return tuple(out)


def _genres(genres: object) -> tuple[str, ...]:
    if not isinstance(genres, list):
        return ()
    return tuple(str(g["name"]) for g in genres if isinstance(g, Mapping) and "name" in g)
