"""The anime catalog: titles, pictures and details the bot shows, and title search.

Seeded from the model's corpus items, extended with titles seen in members' lists, and filled
in from MAL's anime details (a few per background round). All rows are also kept in memory
(about 10k small records), so rendering and autocomplete never wait on the database.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.engine import write_session
from bot.db.models import Anime
from bot.services.titles import TitleHit, TitleIndex

if TYPE_CHECKING:
    from common.mal import MalAnime, MalClient

log = logging.getLogger(__name__)
MAL_ANIME_URL = "https://myanimelist.net/anime/{}"
INSERT_CHUNK = 500
INDEX_REBUILD_SECONDS = 5.0


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
    nsfw: str | None = None
    in_corpus: bool = False
    details: bool = field(default=False, compare=False)

    @property
    def url(self) -> str:
        return MAL_ANIME_URL.format(self.anime_id)

    @property
    def is_nsfw(self) -> bool:
        return self.nsfw == "black"

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
        )


@dataclass(frozen=True, slots=True)
class TitleChoice:
    """One autocomplete suggestion."""

    anime: AnimeInfo
    matched: str
    score: float


class CatalogService:
    """Reads and writes the ``anime`` table and serves title search from memory."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self._info: dict[int, AnimeInfo] = {}
        self._index: TitleIndex | None = None
        self._index_built = 0.0
        self._index_stale = False

    # --- memory -------------------------------------------------------------------------------

    async def load(self) -> int:
        """Read every row into memory; returns the count."""
        async with self._sessions() as session:
            rows = (await session.scalars(select(Anime))).all()
        self._info = {row.anime_id: AnimeInfo.from_row(row) for row in rows}
        self._index = None
        return len(self._info)

    def _remember(self, infos: Iterable[AnimeInfo]) -> None:
        for info in infos:
            self._info[info.anime_id] = info
        self._index_stale = True

    @property
    def index(self) -> TitleIndex:
        """The title index; after changes it is rebuilt at most every ``INDEX_REBUILD_SECONDS``
        (a rebuild over 10k titles takes ~0.1 s of the event loop; the background fill
        changes one title at a time)."""
        now = time.monotonic()
        if self._index is None or (
            self._index_stale and now - self._index_built >= INDEX_REBUILD_SECONDS
        ):
            self._index = TitleIndex(
                (a.anime_id, (a.title, a.title_english or "", *a.synonyms), a.popularity)
                for a in self._info.values()
            )
            self._index_built, self._index_stale = now, False
        return self._index

    def __len__(self) -> int:
        return len(self._info)

    def get(self, anime_id: int) -> AnimeInfo:
        """The anime's info, or a placeholder ``Anime #id`` when the catalog lacks it."""
        return self._info.get(anime_id) or AnimeInfo.unknown(anime_id)

    def known(self, anime_id: int) -> bool:
        return anime_id in self._info

    def nsfw_ids(self) -> frozenset[int]:
        return frozenset(a.anime_id for a in self._info.values() if a.is_nsfw)

    def search(self, query: str, limit: int = 25) -> list[TitleChoice]:
        """Titles matching ``query`` (English, romaji, synonyms; typos tolerated), best first."""
        hits: list[TitleHit] = self.index.search(query, limit)
        return [TitleChoice(self._info[h.anime_id], h.matched, h.score) for h in hits]

    def resolve(self, text: str) -> AnimeInfo | None:
        """An autocomplete value (the anime id) or free text (the best match), else ``None``."""
        text = text.strip()
        if text.isdigit() and int(text) in self._info:
            return self._info[int(text)]
        hits = self.search(text, 1)
        return hits[0].anime if hits else None

    # --- writes -------------------------------------------------------------------------------

    async def seed(self, items: Iterable[Mapping[str, Any]]) -> int:
        """Add the model's corpus items (``{"anime_id", "title", "media_type"}``) that are
        missing and mark every corpus item ``in_corpus``; returns how many rows were added."""
        wanted = {int(item["anime_id"]): item for item in items}
        added = 0
        async with write_session(self._sessions) as session:
            existing = {
                row.anime_id: row
                for row in (await session.scalars(select(Anime))).all()
                if row.anime_id in wanted
            }
            for row in existing.values():
                row.in_corpus = True
            new = [
                Anime(
                    anime_id=aid,
                    title=str(item.get("title") or f"Anime #{aid}")[:512],
                    media_type=(str(item["media_type"])[:16] if item.get("media_type") else None),
                    in_corpus=True,
                    synonyms=[],
                    genres=[],
                )
                for aid, item in wanted.items()
                if aid not in existing
            ]
            for start in range(0, len(new), INSERT_CHUNK):
                session.add_all(new[start : start + INSERT_CHUNK])
                await session.flush()
            added = len(new)
            rows = [*existing.values(), *new]
        self._remember(AnimeInfo.from_row(row) for row in rows)
        return added

    async def add_titles(self, titles: Mapping[int, str | None]) -> int:
        """Add rows for ids the catalog lacks, with the title a list gave; returns the count."""
        missing = {aid: t for aid, t in titles.items() if aid not in self._info}
        if not missing:
            return 0
        async with write_session(self._sessions) as session:
            present = set(
                (
                    await session.scalars(
                        select(Anime.anime_id).where(Anime.anime_id.in_(list(missing)))
                    )
                ).all()
            )
            rows = [
                Anime(anime_id=aid, title=(t or f"Anime #{aid}")[:512], synonyms=[], genres=[])
                for aid, t in missing.items()
                if aid not in present
            ]
            session.add_all(rows)
        self._remember(AnimeInfo.from_row(row) for row in rows)
        return len(rows)

    async def store_details(self, anime: MalAnime) -> AnimeInfo:
        """Write MAL's details of one anime (insert or update)."""
        async with write_session(self._sessions) as session:
            row = await session.get(Anime, anime.id)
            if row is None:
                row = Anime(anime_id=anime.id, in_corpus=False)
                session.add(row)
            row.title = anime.title[:512]
            row.title_english = anime.alternative_titles.en[:512] or None
            row.title_japanese = anime.alternative_titles.ja[:512] or None
            row.synonyms = [s[:512] for s in anime.alternative_titles.synonyms]
            row.picture_url = anime.main_picture
            row.media_type = anime.media_type[:16]
            row.genres = list(anime.genres)
            row.mean = anime.mean
            row.popularity = anime.num_list_users
            row.nsfw = anime.nsfw
            row.num_episodes = anime.num_episodes
            row.start_season = str(anime.start_season)[:16] if anime.start_season else None
            row.details_fetched_at = datetime.now(UTC)
            await session.flush()
            info = AnimeInfo.from_row(row)
        self._remember([info])
        return info

    def missing_details(self, limit: int, first: Iterable[int] = ()) -> list[int]:
        """Ids without MAL details: ``first`` (e.g. titles about to be shown), then corpus
        titles, then the rest."""
        chosen: list[int] = []
        for aid in first:
            info = self._info.get(aid)
            if (info is None or not info.details) and aid not in chosen:
                chosen.append(aid)
        rest = sorted(
            (a for a in self._info.values() if not a.details and a.anime_id not in chosen),
            key=lambda a: (not a.in_corpus, a.anime_id),
        )
        chosen.extend(a.anime_id for a in rest)
        return chosen[:limit]

    async def fill_details(
        self,
        mal: MalClient,
        *,
        limit: int = 10,
        first: Iterable[int] = (),
        stop: Callable[[], bool] | None = None,
    ) -> int:
        """Fetch MAL details for up to ``limit`` titles that lack them; stops at the first
        MAL failure other than "not found" (the rate limiter and retries live in the client),
        or when ``stop()`` turns true. Returns how many rows were filled."""
        from common.mal import AnimeNotFound, MalError

        filled = 0
        for anime_id in self.missing_details(limit, first):
            if stop is not None and stop():
                break
            try:
                anime = await mal.get_anime(anime_id)
            except AnimeNotFound:
                await self._mark_fetched(anime_id)
                continue
            except MalError as exc:
                log.info("catalog fill stopped at anime %s: %s", anime_id, exc)
                break
            await self.store_details(anime)
            filled += 1
        return filled

    async def _mark_fetched(self, anime_id: int) -> None:
        async with write_session(self._sessions) as session:
            row = await session.get(Anime, anime_id)
            if row is not None:
                row.details_fetched_at = datetime.now(UTC)
                await session.flush()
                self._remember([AnimeInfo.from_row(row)])
