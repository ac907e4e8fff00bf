"""CatalogDiscovery: MAL's season and ranking pages into the catalog, a few pages a round."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services.catalog import CatalogService
from bot.services.discovery import CatalogDiscovery, next_season, season_of
from common.mal import MalClient
from fakes.mal import FakeMal
from model.catalog import Catalog, CatalogTitle

WINTER = [70000 + i for i in range(5)]
SPRING = [71000, 71001]


@pytest.fixture
async def fake() -> AsyncIterator[FakeMal]:
    async with FakeMal.running() as server:
        for i, aid in enumerate(WINTER):
            server.add_anime(
                aid, f"Winter {i}", start_season={"year": 2026, "season": "winter"},
                num_list_users=100 - i, status="currently_airing",
            )  # fmt: skip
        for aid in SPRING:
            server.add_anime(
                aid, f"Spring {aid}", start_season={"year": 2026, "season": "spring"},
                status="not_yet_aired",
            )  # fmt: skip
        server.add_anime(1, "Cowboy Bebop", num_list_users=5000)  # in the shipped catalog
        yield server


@pytest.fixture
async def mal(fake: FakeMal) -> AsyncIterator[MalClient]:
    client = MalClient(fake.base_url, "id", requests_per_second=0, max_retries=0)
    async with client:
        yield client


@pytest.fixture
async def catalog(sessions: async_sessionmaker[AsyncSession]) -> CatalogService:
    service = CatalogService(sessions, base=Catalog.from_titles([CatalogTitle(1, "Bebop")]))
    await service.load()
    return service


def test_seasons() -> None:
    assert season_of(date(2026, 1, 15)) == (2026, "winter")
    assert season_of(date(2026, 12, 1)) == (2026, "fall")
    assert next_season(2026, "fall") == (2027, "winter")
    assert next_season(2026, "winter") == (2026, "spring")


async def test_rounds_read_seasons_then_rankings_within_the_page_budget(
    fake: FakeMal, mal: MalClient, catalog: CatalogService
) -> None:
    discovery = CatalogDiscovery(catalog, today=lambda: date(2026, 2, 1), page_size=2)
    first = await discovery.run(mal, pages=3)
    assert (first.pages, first.added) == (3, 4)  # winter 0-1, spring 0-1, airing 0-1
    paths = [(r.path, r.query.get("offset")) for r in fake.requests]
    assert paths == [
        ("/v2/anime/season/2026/winter", "0"),
        ("/v2/anime/season/2026/spring", "0"),
        ("/v2/anime/ranking", "0"),
    ]
    second = await discovery.run(mal, pages=3)  # winter goes on where it stopped
    assert second.pages == 3
    assert fake.requests[3].path == "/v2/anime/season/2026/winter"
    assert fake.requests[3].query["offset"] == "2"
    assert fake.requests[5].query["ranking_type"] == "upcoming"  # the rankings take turns
    await discovery.run(mal, pages=5)
    assert all(catalog.known(aid) for aid in WINTER + SPRING)
    assert catalog.get(70000).safe is True  # the page said "white"
    assert catalog.missing_details(20)[:2] == [71001, 71000]  # newest first


async def test_a_mal_failure_ends_the_round(
    fake: FakeMal, mal: MalClient, catalog: CatalogService
) -> None:
    fake.throttle(times=1, match="/anime/season/2026/spring")
    report = await CatalogDiscovery(catalog, today=lambda: date(2026, 2, 1)).run(mal, pages=4)
    assert report.pages == 1 and report.stopped is not None
    assert report.added == len(WINTER)
