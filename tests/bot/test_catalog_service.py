"""CatalogService over a (small, hand-built) shipped catalog: lookups, NSFW, search, MAL's pages
and details merged into the model's catalog (issue #11)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services.catalog import CatalogService
from common.mal import MalClient
from fakes.mal import FakeMal
from model.catalog import Catalog, CatalogTitle, Relation


def _base() -> Catalog:
    return Catalog.from_titles(
        [
            CatalogTitle(52991, "Sousou no Frieren", type="tv", nsfw=False, scored_by=900_000),
            CatalogTitle(21521, "Futa-bu!", type="ova", genres=("hentai",), nsfw=True),
            CatalogTitle(777, "Frieren Unknown Special", type="special"),  # status unknown
            CatalogTitle(20, "Naruto", type="tv", genres=("action",)),  # unknown until MAL says
        ],
        {52991: [Relation(777, "related", True)], 777: [Relation(52991, "related", True)]},
    )


@pytest.fixture
async def fake() -> AsyncIterator[FakeMal]:
    async with FakeMal.running() as server:
        server.add_anime(
            59978,
            "Sousou no Frieren 2nd Season",
            alternative_titles={
                "en": "Frieren: Beyond Journey's End Season 2",
                "ja": "",
                "synonyms": [],
            },
            start_season={"year": 2026, "season": "winter"},
            num_list_users=500_000,
            studios=["Madhouse"],
            related_anime={52991: "prequel"},
        )
        server.add_anime(
            60001, "New Adult Title", nsfw="black", start_season={"year": 2026, "season": "winter"}
        )
        server.add_anime(20, "Naruto", nsfw="white", num_list_users=3_000_000)
        yield server


@pytest.fixture
async def mal(fake: FakeMal) -> AsyncIterator[MalClient]:
    client = MalClient(
        fake.base_url, "test-client", requests_per_second=0, max_retries=1, backoff_base=0.001
    )
    async with client:
        yield client


@pytest.fixture
async def catalog(sessions: async_sessionmaker[AsyncSession]) -> CatalogService:
    service = CatalogService(sessions, base=_base())
    await service.load()
    return service


async def test_shipped_titles_are_known_without_rows(catalog: CatalogService) -> None:
    assert catalog.known(52991) and catalog.get(52991).title == "Sousou no Frieren"
    assert catalog.get(52991).safe is True and catalog.get(21521).safe is False
    assert catalog.get(777).safe is None and catalog.get(777).is_nsfw
    assert not catalog.known(59978) and catalog.get(59978).title == "Anime #59978"
    assert len(catalog) == 4


async def test_unknown_status_counts_as_nsfw(catalog: CatalogService) -> None:
    assert catalog.nsfw_ids() == {21521, 777, 20}
    assert catalog.allowed(52991, False) and not catalog.allowed(777, False)
    assert not catalog.allowed(424242, False) and catalog.allowed(424242, True)


async def test_search_and_resolve_hide_what_the_server_may_not_see(catalog: CatalogService) -> None:
    assert [c.anime.anime_id for c in catalog.search("frieren")] == [52991]
    assert {c.anime.anime_id for c in catalog.search("frieren", allow_nsfw=True)} == {52991, 777}
    assert catalog.search("futa bu") == []
    assert catalog.search("futa bu", allow_nsfw=True)[0].anime.anime_id == 21521
    assert catalog.resolve("21521") is None
    assert catalog.resolve("21521", allow_nsfw=True) == catalog.get(21521)
    assert catalog.resolve("52991") == catalog.get(52991)


async def test_rows_win_and_fill_from_the_shipped_record(
    catalog: CatalogService, mal: MalClient
) -> None:
    await catalog.add_titles({20: "Naruto"})
    assert catalog.get(20).genres == ("Action",)  # the row lacks them: shipped
    assert not catalog.allowed(20, False)
    assert catalog.missing_details(5) == [20, 777]  # the row first, then shipped unknowns
    assert await catalog.fill_details(mal, limit=1) == 1
    assert catalog.allowed(20, False)  # MAL says white
    assert catalog.search("naruto")[0].anime.anime_id == 20


async def test_season_pages_add_new_titles_and_details_add_relations(
    catalog: CatalogService, mal: MalClient
) -> None:
    page = await mal.get_season(2026, "winter")
    assert await catalog.store_listed(page.anime) == 2
    assert await catalog.store_listed(page.anime) == 0
    assert catalog.get(59978).safe is True and not catalog.allowed(60001, False)
    assert catalog.search("beyond journey's end")[0].anime.anime_id == 59978
    assert catalog.missing_details(2) == [60001, 59978]  # new titles, newest first
    model = catalog.model_catalog
    assert model.get(59978).title == "Sousou no Frieren 2nd Season"  # type: ignore[union-attr]
    assert model.relations(59978) == ()  # listed only: the relations come with the details
    assert await catalog.fill_details(mal, limit=10) >= 2
    model = catalog.model_catalog
    assert model.get(59978).studios == ("madhouse",)  # type: ignore[union-attr]
    assert Relation(52991, "prequel", True) in model.relations(59978)
    assert Relation(59978, "sequel", True) in model.relations(52991)
    assert not model.is_safe(60001)

    fresh = CatalogService(catalog._sessions, base=_base())
    await fresh.load()
    assert Relation(59978, "sequel", True) in fresh.model_catalog.relations(52991)


async def test_cached_answers_follow_stored_details(
    catalog: CatalogService, mal: MalClient
) -> None:
    """get() is memoized and nsfw_ids() updated in place (both on the event loop of every
    /recommend): a stored detail must show in both at once."""
    await catalog.add_titles({20: "Naruto"})
    assert 20 in catalog.nsfw_ids() and catalog.get(20).safe is not True
    assert await catalog.fill_details(mal, limit=1, first=[20]) == 1  # MAL says white
    assert catalog.get(20).safe is True and catalog.get(20).details
    assert 20 not in catalog.nsfw_ids() and catalog.nsfw_ids() == {21521, 777}
    assert catalog.missing_details(1, first=[777]) == [777]  # the cover's title, no walk


async def test_nsfw_ids_after_a_reload_match_is_safe(
    catalog: CatalogService, mal: MalClient
) -> None:
    """Recomputed after a reload (rows with MAL's word, rows without it, titles the shipped
    catalog lacks): exactly the known titles :meth:`is_safe` does not vouch for."""
    await catalog.add_titles({20: "Naruto", 59978: None, 60001: None, 31337: "Nobody Knows"})
    assert await catalog.fill_details(mal, limit=3, first=[20, 59978, 60001]) == 3
    await catalog.load()  # forgets the set: the next call computes it from scratch
    known = {52991, 21521, 777, 20, 59978, 60001, 31337}
    assert catalog.nsfw_ids() == {aid for aid in known if not catalog.is_safe(aid)}
    assert {20, 59978} - catalog.nsfw_ids() == {20, 59978}
    assert {21521, 777, 60001, 31337} <= catalog.nsfw_ids()
