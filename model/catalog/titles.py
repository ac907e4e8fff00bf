"""One catalog title and one relation between titles: the plain records :class:`Catalog` answers.

Vocabularies are MAL API's: ``type`` is MAL's lowercase ``media_type`` (``tv``, ``movie``, …),
``season`` MAL's ``start_season.season`` (``winter``, ``spring``, ``summer``, ``fall``), genres,
tags and studios case-folded so that the shipped data and MAL's details meet on one spelling.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

RelationKind = Literal["sequel", "prequel", "related"]
RELATION_KINDS: tuple[RelationKind, ...] = ("related", "sequel", "prequel")
"""Index = the code stored in the catalog file (0 = related)."""

SEASONS = ("winter", "spring", "summer", "fall")
STATUSES = ("finished", "airing", "upcoming")

_TYPE_ALIASES = {"tv special": "tv_special", "cm": "cm", "pv": "pv"}
_STATUS_ALIASES = {
    "finished": "finished",
    "finished_airing": "finished",
    "finished airing": "finished",
    "ongoing": "airing",
    "currently_airing": "airing",
    "currently airing": "airing",
    "releasing": "airing",
    "upcoming": "upcoming",
    "not_yet_aired": "upcoming",
    "not yet aired": "upcoming",
}


def normalize_type(value: str | None) -> str | None:
    """``"TV"`` / ``"tv"`` → ``"tv"``; empty → None."""
    text = (value or "").strip().casefold()
    if not text:
        return None
    return _TYPE_ALIASES.get(text, text.replace(" ", "_"))


def normalize_season(value: str | None) -> str | None:
    """``"SPRING"`` → ``"spring"``; anything that is not one of MAL's four seasons → None."""
    text = (value or "").strip().casefold()
    return text if text in SEASONS else None


def normalize_status(value: str | None) -> str | None:
    """MAL's, AniList's and anime-offline-database's airing statuses → finished/airing/upcoming."""
    return _STATUS_ALIASES.get((value or "").strip().casefold())


def normalize_terms(values: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """Case-folded, stripped, de-duplicated terms in first-seen order (genres, tags, studios)."""
    seen: dict[str, None] = {}
    for value in values:
        text = " ".join(value.split()).casefold()
        if text:
            seen.setdefault(text, None)
    return tuple(seen)


def nsfw_from_mal(value: str | None) -> bool | None:
    """MAL's ``nsfw`` field: ``white`` is safe, ``gray`` and ``black`` are NSFW, missing or
    anything else is unknown (None), which every non-NSFW server treats as NSFW."""
    text = (value or "").strip().casefold()
    if text == "white":
        return False
    if text in ("gray", "black"):
        return True
    return None


@dataclass(frozen=True, slots=True)
class CatalogTitle:
    """What the catalog knows of one anime. None / empty = not known.

    ``nsfw`` is True (NSFW), False (known safe) or None (unknown: treated as NSFW wherever NSFW is
    not allowed). ``mean`` is MAL's mean score and ``scored_by`` the number of MAL users who scored
    it; ``popularity_rank`` is MAL's popularity rank (1 = most members) and ``aod_score`` the mean
    over sites (1–10) from anime-offline-database, present for many titles without a MAL mean.
    """

    anime_id: int
    title: str
    title_english: str | None = None
    synonyms: tuple[str, ...] = ()
    type: str | None = None
    year: int | None = None
    season: str | None = None
    episodes: int | None = None
    genres: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    studios: tuple[str, ...] = ()
    nsfw: bool | None = None
    mean: float | None = None
    scored_by: int | None = None
    popularity_rank: int | None = None
    aod_score: float | None = None
    status: str | None = None

    @property
    def variants(self) -> tuple[str, ...]:
        """Every name to search by: main title, English title, synonyms."""
        return (self.title, *((self.title_english,) if self.title_english else ()), *self.synonyms)


@dataclass(frozen=True, slots=True)
class Relation:
    """A link from a title to ``other_id``: ``kind`` says what the other title is to this one
    (``sequel`` = the other comes after it); ``mal_asserted`` = MAL lists the link itself (MAL's
    related list or anime-offline-database's ``myanimelist`` provider), not only another site."""

    other_id: int
    kind: RelationKind
    mal_asserted: bool
