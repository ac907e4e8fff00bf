"""The MAL client's bulk listings (season, ranking) and rich details against the fake MAL."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from common.mal import MalClient, MalThrottled, RelatedAnime
from fakes.mal import FakeMal
from tests.common.mal_setup import make_client


@pytest.fixture
async def fake() -> AsyncIterator[FakeMal]:
    async with FakeMal.running() as server:
        for i in range(7):
            server.add_anime(
                60000 + i,
                f"Winter Show {i}",
                start_season={"year": 2026, "season": "winter"},
                num_list_users=1000 - i,
                mean=7.0 + i / 10,
                nsfw="white" if i != 3 else "black",
                studios=["Studio A"],
                status="currently_airing",
            )
        server.add_anime(60100, "Spring Show", start_season={"year": 2026, "season": "spring"})
        server.add_anime(
            60200,
            "Winter Show 0 Season 2",
            nsfw="gray",
            status="not_yet_aired",
            num_scoring_users=12,
            popularity=4321,
            related_anime={60000: "prequel", 60100: "side_story"},
        )
        yield server


@pytest.fixture
async def mal(fake: FakeMal) -> AsyncIterator[MalClient]:
    async with make_client(fake) as client:
        yield client


async def test_season_pages_in_member_order(fake: FakeMal, mal: MalClient) -> None:
    first = await mal.get_season(2026, "winter", limit=4)
    assert [a.id for a in first.anime] == [60000, 60001, 60002, 60003]
    assert first.next_offset == 4
    rest = await mal.get_season(2026, "winter", offset=first.next_offset, limit=4)
    assert [a.id for a in rest.anime] == [60004, 60005, 60006]
    assert rest.next_offset is None
    black = first.anime[3]
    assert (black.nsfw, black.studios, black.status) == ("black", ("Studio A",), "currently_airing")
    sent = fake.requests_to("/anime/season/2026/winter")
    assert sent[0].query["nsfw"] == "true"  # NSFW titles come too, marked
    assert "related_anime" not in sent[0].query["fields"]
    assert (await mal.get_season(1990, "fall")).anime == ()


async def test_ranking_pages(mal: MalClient) -> None:
    page = await mal.get_ranking("all", limit=3)
    assert [a.id for a in page.anime] == [60006, 60005, 60004]
    assert page.next_offset == 3
    upcoming = await mal.get_ranking("upcoming")
    assert [a.id for a in upcoming.anime] == [60200]
    assert upcoming.next_offset is None


async def test_bad_arguments_are_refused_before_any_request(fake: FakeMal, mal: MalClient) -> None:
    with pytest.raises(ValueError, match="season"):
        await mal.get_season(2026, "autumn")
    with pytest.raises(ValueError, match="ranking_type"):
        await mal.get_ranking("best")
    assert fake.requests == []


async def test_details_carry_relations_studios_and_status(mal: MalClient) -> None:
    anime = await mal.get_anime(60200)
    assert anime.related == (RelatedAnime(60000, "prequel"), RelatedAnime(60100, "side_story"))
    assert (anime.nsfw, anime.status, anime.num_scoring_users, anime.popularity) == (
        "gray",
        "not_yet_aired",
        12,
        4321,
    )


async def test_throttled_listing_is_typed(fake: FakeMal, mal: MalClient) -> None:
    fake.throttle(times=1, match="/anime/ranking")
    with pytest.raises(MalThrottled):
        await mal.get_ranking()
