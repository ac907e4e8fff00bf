"""What the bot shows of one anime (:class:`AnimeInfo`), from a DB row, the shipped catalog or both.

NSFW: ``safe`` is True only when the title is known to be safe for work (MAL's ``nsfw`` is
``white``, or the shipped catalog says so); False when it is NSFW (``gray``/``black``) and None
when nobody has said. :attr:`AnimeInfo.is_nsfw` is "not known safe": where a server has not
allowed NSFW, unknown counts as NSFW.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from model.catalog import (
    CatalogTitle,
    Relation,
    normalize_season,
    normalize_status,
    normalize_type,
    nsfw_from_mal,
)

if TYPE_CHECKING:
    from bot.db.models import Anime

MAL_ANIME_URL = "https://myanimelist.net/anime/{}"


def _safe_from_mal(nsfw: str | None) -> bool | None:
    flag = nsfw_from_mal(nsfw)
    return None if flag is None else not flag


@dataclass(frozen=True, slots=True)
class AnimeInfo:
    """What the bot knows of one anime; ``title`` is MAL's main (usually romaji) title."""

    anime_id: int
    title: str
    title_english: str | None = None
    synonyms: tuple[str, ...] = ()
    picture_url: str | None = None
    media_type: str | None = None
    genres: tuple[str, ...] = ()
    mean: float | None = None
    popularity: int | None = None
    nsfw: str | None = None  # MAL's own word (white, gray, black) when its details were fetched
    in_corpus: bool = False
    details: bool = field(default=False, compare=False)
    safe: bool | None = None  # True known safe, False NSFW, None unknown

    @property
    def url(self) -> str:
        return MAL_ANIME_URL.format(self.anime_id)

    @property
    def is_nsfw(self) -> bool:
        """NSFW or of unknown status: hidden wherever NSFW is not allowed."""
        return self.safe is not True

    def allowed(self, allow_nsfw: bool) -> bool:
        """May this title be shown where NSFW is (not) allowed?"""
        return allow_nsfw or self.safe is True

    @property
    def label(self) -> str:
        """The main title, with the English one in parentheses when it differs."""
        english = (self.title_english or "").strip()
        if english and english.casefold() != self.title.casefold():
            return f"{self.title} ({english})"
        return self.title

    @classmethod
    def unknown(cls, anime_id: int) -> AnimeInfo:
        return cls(anime_id=anime_id, title=f"Anime #{anime_id}")

    @classmethod
    def from_row(cls, row: Anime) -> AnimeInfo:
        return cls(
            anime_id=row.anime_id,
            title=row.title,
            title_english=row.title_english,
            synonyms=tuple(row.synonyms or ()),
            picture_url=row.picture_url,
            media_type=row.media_type,
            genres=tuple(row.genres or ()),
            mean=row.mean,
            popularity=row.popularity,
            nsfw=row.nsfw,
            in_corpus=row.in_corpus,
            details=row.details_fetched_at is not None,
            safe=_safe_from_mal(row.nsfw),
        )

    @classmethod
    def from_title(cls, title: CatalogTitle) -> AnimeInfo:
        """From the shipped catalog (no picture: MAL's details bring one)."""
        return cls(
            anime_id=title.anime_id,
            title=title.title,
            title_english=title.title_english,
            synonyms=title.synonyms,
            media_type=title.type,
            genres=tuple(g.title() for g in title.genres),
            mean=title.mean,
            popularity=title.scored_by,
            safe=None if title.nsfw is None else not title.nsfw,
        )

    def filled_from(self, title: CatalogTitle) -> AnimeInfo:
        """This row's info with what it lacks taken from the shipped catalog's record."""
        shipped = AnimeInfo.from_title(title)
        return replace(
            self,
            title_english=self.title_english or shipped.title_english,
            synonyms=self.synonyms or shipped.synonyms,
            media_type=self.media_type or shipped.media_type,
            genres=self.genres or shipped.genres,
            mean=self.mean if self.mean is not None else shipped.mean,
            popularity=self.popularity or shipped.popularity,
            safe=self.safe if self.safe is not None else shipped.safe,
        )


@dataclass(frozen=True, slots=True)
class TitleChoice:
    """One autocomplete suggestion."""

    anime: AnimeInfo
    matched: str
    score: float


def _start(value: str | None) -> tuple[int | None, str | None]:
    """``"Summer 2015"`` (how rows store MAL's start season) → (2015, "summer")."""
    parts = (value or "").split()
    if len(parts) != 2 or not parts[1].isdigit():
        return None, None
    return int(parts[1]), normalize_season(parts[0])


def catalog_title(row: Anime) -> CatalogTitle:
    """A DB row with MAL's details as a :class:`CatalogTitle` (for the model's catalog)."""
    year, season = _start(row.start_season)
    return CatalogTitle(
        anime_id=row.anime_id,
        title=row.title,
        title_english=row.title_english,
        synonyms=tuple(row.synonyms or ()),
        type=normalize_type(row.media_type),
        year=year,
        season=season,
        episodes=row.num_episodes or None,
        genres=tuple(row.genres or ()),
        studios=tuple(row.studios or ()),
        nsfw=nsfw_from_mal(row.nsfw),
        mean=row.mean,
        scored_by=row.num_scoring_users or None,
        popularity_rank=row.popularity_rank,
        status=normalize_status(row.status),
    )


def relations_of(row: Anime) -> list[Relation] | None:
    """MAL's ``related_anime`` of a row as catalog relations (None: not fetched)."""
    if row.related is None:
        return None
    out = []
    for pair in row.related:
        try:
            other, kind = int(pair[0]), str(pair[1])
        except (TypeError, ValueError, IndexError):
            continue
        typed = kind if kind in ("sequel", "prequel") else "related"
        out.append(Relation(other, typed, True))  # type: ignore[arg-type]
    return out
