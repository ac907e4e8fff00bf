"""New titles from MAL in bulk: the current and next season's pages and MAL's rankings.

The shipped catalog stops at its build date; MAL lists what it added since on
``/anime/season/{year}/{season}`` (every title starting that season) and ``/anime/ranking``
(``airing``, ``upcoming``, ``bypopularity``). Each background round reads a few pages (the
``pages`` budget), continuing each listing where the last round stopped, and adds the titles the
catalog lacks (:meth:`CatalogService.store_listed`); their details, relations included, come
with the catalog's fill (:meth:`CatalogService.fill_details`), newest first.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from bot.services.catalog import CatalogService

if TYPE_CHECKING:
    from common.mal import AnimePage, MalClient

log = logging.getLogger(__name__)
SEASONS = ("winter", "spring", "summer", "fall")
RANKINGS = ("airing", "upcoming", "bypopularity")
MAX_RANKING_OFFSET = 20_000
"""Deeper than this, MAL's popularity ranking holds titles the shipped catalog has."""
PAGE_SIZE = 500


def season_of(day: date) -> tuple[int, str]:
    """(year, MAL season) of a date: January–March is winter, and so on."""
    return day.year, SEASONS[(day.month - 1) // 3]


def next_season(year: int, season: str) -> tuple[int, str]:
    i = SEASONS.index(season)
    return (year + 1, SEASONS[0]) if i == 3 else (year, SEASONS[i + 1])


@dataclass(frozen=True, slots=True)
class DiscoveryReport:
    pages: int
    added: int
    stopped: str | None = None  # why the round stopped early (a MAL failure)


class CatalogDiscovery:
    """Reads MAL's season and ranking pages, a few per round, into the catalog."""

    def __init__(
        self,
        catalog: CatalogService,
        *,
        today: Callable[[], date] = lambda: datetime.now(UTC).date(),
        page_size: int = PAGE_SIZE,
    ) -> None:
        self.catalog = catalog
        self.today = today
        self.page_size = page_size
        self._offsets: dict[tuple[str, ...], int] = {}  # listing → where the next page starts
        self._turn = 0

    def listings(self) -> list[tuple[str, ...]]:
        """This round's listings in order: this season, next season, then MAL's rankings."""
        year, season = season_of(self.today())
        upcoming = next_season(year, season)
        return [
            ("season", str(year), season),
            ("season", str(upcoming[0]), upcoming[1]),
            *(("ranking", kind) for kind in RANKINGS),
        ]

    async def _page(self, mal: MalClient, listing: tuple[str, ...], offset: int) -> AnimePage:
        if listing[0] == "season":
            return await mal.get_season(
                int(listing[1]), listing[2], offset=offset, limit=self.page_size
            )
        return await mal.get_ranking(listing[1], offset=offset, limit=self.page_size)

    async def run(
        self, mal: MalClient, *, pages: int = 4, stop: Callable[[], bool] | None = None
    ) -> DiscoveryReport:
        """Up to ``pages`` pages: the seasons first each round, then the rankings in turn; stops
        at the first MAL failure (the client has retried already)."""
        from common.mal import MalError

        listings = self.listings()
        seasons, rankings = listings[:2], listings[2:]
        turn = self._turn % len(rankings)
        order = [*seasons, *rankings[turn:], *rankings[:turn]]
        self._turn += 1
        done = added = 0
        for listing in order:
            if done >= pages or (stop is not None and stop()):
                break
            offset = self._offsets.get(listing, 0)
            try:
                page = await self._page(mal, listing, offset)
            except MalError as exc:
                log.info("catalog discovery stopped at %s: %s", "/".join(listing), exc)
                return DiscoveryReport(done, added, str(exc))
            done += 1
            added += await self.catalog.store_listed(page.anime)
            following = page.next_offset
            if following is None or following > MAX_RANKING_OFFSET:
                following = 0  # from the top again next time
            self._offsets[listing] = following
        return DiscoveryReport(done, added)
