"""Filling the catalog from MAL's details: which titles to ask about, and asking (part of
:class:`~bot.services.catalog.CatalogService`, kept here to keep that module short)."""

from __future__ import annotations

import heapq
import logging
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from bot.db.engine import write_session
from bot.db.models import Anime
from bot.services.conflicts import retry_on_conflict

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

    from bot.services.animeinfo import AnimeInfo
    from common.mal import MalAnime, MalClient
    from model.catalog import Catalog

log = logging.getLogger("bot.services.catalog")
SHIPPED_UNKNOWN_PER_CALL = 10
"""Shipped titles of unknown NSFW status asked of MAL per fill (after every row): a few a round,
so that a round stays short while all ~500 of them get their status within a few days."""


class DetailFill:
    """``missing_details`` and ``fill_details`` of the catalog service."""

    _info: dict[int, AnimeInfo]
    _base: Catalog
    _sessions: async_sessionmaker[AsyncSession]

    if TYPE_CHECKING:

        async def store_details(self, anime: MalAnime) -> AnimeInfo: ...

        def _remember(self, rows: Iterable[Anime]) -> None: ...

    def missing_details(self, limit: int, first: Iterable[int] = ()) -> list[int]:
        """Ids to ask MAL's details of: ``first`` (e.g. titles about to be shown) without them,
        then rows without them (corpus titles, then titles the shipped catalog lacks, newest
        first, then the rest), then shipped titles whose NSFW status is unknown."""
        chosen: list[int] = []
        for aid in first:
            info = self._info.get(aid)
            if (info is None or not info.details) and aid not in chosen:
                chosen.append(aid)
        if len(chosen) >= limit:
            # /recommend's cover: one title, no walk over the whole catalog on the event loop
            # (that walk was a quarter of the loop's time at 50 concurrent calls).
            return chosen[:limit]
        taken = set(chosen)
        rest = heapq.nsmallest(
            limit - len(chosen),
            (a for a in self._info.values() if not a.details and a.anime_id not in taken),
            key=lambda a: (not a.in_corpus, a.anime_id in self._base, -a.anime_id),
        )
        chosen.extend(a.anime_id for a in rest)
        if len(chosen) < limit:
            base = self._base
            unknown = base.ids[base.nsfw_status == -1][::-1].tolist()
            shipped = [a for a in unknown if a not in self._info and a not in taken]
            chosen.extend(shipped[:SHIPPED_UNKNOWN_PER_CALL])
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

    @retry_on_conflict
    async def _mark_fetched(self, anime_id: int) -> None:
        async with write_session(self._sessions) as session:
            row = await session.get(Anime, anime_id)
            shipped = self._base.get(anime_id)
            if row is None and shipped is not None:
                # a shipped title MAL does not know: a row, so it is not asked again
                row = Anime(anime_id=anime_id, title=shipped.title[:512], synonyms=[], genres=[])
                session.add(row)
            if row is not None:
                row.details_fetched_at = datetime.now(UTC)
                await session.flush()
                self._remember([row])
