"""The AniList client against the fake AniList (GraphQL over HTTP, its errors and rate limit)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from common.anilist import AniListClient
from common.sites import (
    SiteInvalidUsername,
    SiteListPrivate,
    SiteRateLimited,
    SiteUnavailable,
    SiteUserNotFound,
    scale_score,
)
from fakes.anilist import FakeAniList

ENTRIES = [
    {"media_id": 1, "mal_id": 1, "status": "COMPLETED", "score": 87, "progress": 26},
    {"media_id": 5114, "mal_id": 5114, "status": "REPEATING", "score": 100, "custom": True},
    {"media_id": 20, "mal_id": 20, "status": "PAUSED", "score": 0},
    {"media_id": 21, "mal_id": 21, "status": "CURRENT", "score": 45, "progress": 3},
    {"media_id": 30, "mal_id": 30, "status": "DROPPED", "score": 5},
    {"media_id": 40, "mal_id": 40, "status": "PLANNING"},
    {"media_id": 170000, "mal_id": None, "status": "COMPLETED", "score": 70, "title": "New"},
]


@pytest.fixture
async def fake() -> AsyncIterator[FakeAniList]:
    async with FakeAniList.running() as server:
        server.add_user("Ann", ENTRIES, score_format="POINT_100", user_id=77)
        server.add_user("Hidden", ENTRIES[:2], private=True)
        yield server


def client(fake: FakeAniList, **kwargs: object) -> AniListClient:
    options: dict = {"requests_per_minute": 0, "max_retries": 2, "backoff_base": 0.01}
    return AniListClient(fake.base_url, **{**options, **kwargs})


def test_scores_are_scaled_to_one_to_ten() -> None:
    assert [scale_score(s, 100) for s in (0, 1, 45, 50, 87, 100)] == [0, 1, 5, 5, 9, 10]
    assert [scale_score(s, 10) for s in (7.5, 7.4, 10)] == [8, 7, 10]
    assert [scale_score(s, 5) for s in (1, 3, 5)] == [2, 6, 10]
    assert [scale_score(s, 3) for s in (1, 2, 3)] == [3, 7, 10]
    assert [scale_score(s, 20) for s in (2, 3, 15, 20, None)] == [1, 2, 8, 10, 0]


async def test_a_whole_list_in_mal_terms(fake: FakeAniList) -> None:
    async with client(fake) as anilist:
        got = await anilist.get_list("ann")
    assert (got.username, got.user_id, len(got.entries)) == ("Ann", "77", 7)
    by_id = {e.site_anime_id: e for e in got.entries}
    assert (by_id[1].status, by_id[1].score, by_id[1].episodes) == ("completed", 9, 26)
    assert (by_id[5114].status, by_id[5114].rewatching, by_id[5114].score) == (
        "completed",
        True,
        10,
    )
    assert [by_id[i].status for i in (20, 21, 30, 40)] == [
        "on_hold",
        "watching",
        "dropped",
        "plan_to_watch",
    ]
    assert by_id[20].score == 0 and by_id[30].score == 1
    assert [e.site_anime_id for e in got.unmapped] == [170000] and by_id[170000].title == "New"
    assert by_id[1].updated_at is not None and by_id[1].updated_at.tzinfo is not None


async def test_big_lists_come_in_chunks_and_by_user_id(fake: FakeAniList) -> None:
    rows = [{"media_id": 100 + i, "status": "COMPLETED", "score": 7} for i in range(1234)]
    fake.add_user("Big", rows, score_format="POINT_10", user_id=9)
    async with client(fake) as anilist:
        got = await anilist.get_list("anything", user_id="9")
    assert len(got.entries) == 1234 and {e.score for e in got.entries} == {7}
    chunks = [b["variables"]["chunk"] for b in fake.requests]
    assert chunks == [1, 2, 3] and all(b["variables"]["id"] == 9 for b in fake.requests)


async def test_fingerprint_changes_with_the_list(fake: FakeAniList) -> None:
    async with client(fake) as anilist:
        before = await anilist.list_fingerprint("Ann")
        assert await anilist.list_fingerprint("Ann") == before
        fake.add_user("Ann", ENTRIES[:-1], score_format="POINT_100")  # one removed
        removed = await anilist.list_fingerprint("Ann")
        edited = [*ENTRIES[:-1], {**ENTRIES[-1], "updated_at": 1_800_000_000}]
        fake.add_user("Ann", edited, score_format="POINT_100")
        touched = await anilist.list_fingerprint("Ann")
    assert len({before, removed, touched}) == 3


async def test_unknown_private_and_invalid_users(fake: FakeAniList) -> None:
    async with client(fake) as anilist:
        with pytest.raises(SiteUserNotFound) as missing:
            await anilist.get_list("nobody")
        with pytest.raises(SiteListPrivate) as private:
            await anilist.get_list("hidden")
        with pytest.raises(SiteInvalidUsername):
            await anilist.get_list("not a name!")
    assert missing.value.user_message == (
        "There is no AniList user called `nobody`. Check the spelling."
    )
    assert "private" in private.value.user_message and "AniList" in private.value.user_message
    assert len(fake.requests) == 2, "an invalid name is refused without a request"


async def test_rate_limit_is_honoured_then_surfaces(fake: FakeAniList) -> None:
    fake.rate_limit(times=1, retry_after="0.2")
    async with client(fake) as anilist:
        got = await anilist.get_list("Ann")  # waited out the Retry-After, then answered
        assert len(got.entries) == 7
        fake.rate_limit(times=5, retry_after="0")
        with pytest.raises(SiteRateLimited) as limited:
            await anilist.get_list("Ann")
        fake.clear_faults()
        fake.server_error(times=5, status=502)
        with pytest.raises(SiteUnavailable):
            await anilist.get_list("Ann")
    assert limited.value.outage and "rate-limiting" in limited.value.user_message


async def test_the_announced_limit_retunes_the_pace(fake: FakeAniList) -> None:
    fake.limit_per_minute = 30
    async with client(fake, requests_per_minute=600) as anilist:
        await anilist.get_list("Ann")
        assert anilist.limiter.interval == pytest.approx(2.0)  # 30 a minute, not 600
    async with client(fake, requests_per_minute=0) as anilist:
        await anilist.get_list("Ann")
        assert anilist.limiter.interval == 0  # off stays off (tests, fakes)


async def test_remaining_zero_pauses_before_a_429(fake: FakeAniList) -> None:
    fake.limit_per_minute = 2
    async with client(fake) as anilist:
        await anilist.list_fingerprint("Ann")
        await anilist.list_fingerprint("Ann")  # the answer says 0 remaining
        assert anilist.limiter._not_before > 0, "the next request waits for the window"
