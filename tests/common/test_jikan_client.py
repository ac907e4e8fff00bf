"""The Jikan v4 client against the fake Jikan: shapes, pagination, errors (404, 429 with
Jikan's error JSON and Retry-After, 500/503, malformed payloads) and the sliding-window limit."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest

from common.jikan import (
    JikanClient,
    JikanInvalidResponse,
    JikanNotFound,
    JikanRateLimited,
    JikanUnavailable,
    SlidingWindowLimiter,
)
from fakes.jikan import FakeJikan

USERS = [f"member_{i:03d}" for i in range(45)] + ["Otaku_Kun"]
UPDATES = {5114: [f"updater_{i:03d}" for i in range(80)], 1: ["Spike"], 9253: []}


@pytest.fixture
async def fake() -> AsyncIterator[FakeJikan]:
    async with FakeJikan.running(USERS, UPDATES) as server:
        yield server


def client_for(fake: FakeJikan, **kwargs: object) -> JikanClient:
    options: dict[str, object] = {
        "limits": ((1000, 1.0),),
        "max_retries": 2,
        "backoff_base": 0.01,
        "timeout": 5.0,
    }
    options.update(kwargs)
    return JikanClient(fake.base_url, **options)  # type: ignore[arg-type]


async def test_endpoints_read_jikans_shapes_and_pages(fake: FakeJikan) -> None:
    async with client_for(fake) as jikan:
        first = await jikan.search_users("member")
        assert len(first.items) == 20 and first.items[0] == "member_000" and first.has_next_page
        last = await jikan.search_users("member", page=3)
        assert last.items == tuple(f"member_{i:03d}" for i in range(40, 45))
        assert not last.has_next_page
        assert (await jikan.search_users("otaku")).items == ("Otaku_Kun",)

        updates = await jikan.anime_user_updates(5114)
        assert len(updates.items) == 75 and updates.has_next_page
        assert (await jikan.anime_user_updates(5114, page=2)).items[-1] == "updater_079"
        assert (await jikan.anime_user_updates(9253)).items == ()

        assert await jikan.random_user() in USERS
        top = await jikan.top_anime()
        assert top.items == (5114, 1, 9253) and not top.has_next_page
    assert fake.requests[0].query == {"q": "member", "page": "1"}
    assert any(r.query.get("filter") == "bypopularity" for r in fake.requests)


async def test_404_is_not_retried(fake: FakeJikan) -> None:
    async with client_for(fake) as jikan:
        with pytest.raises(JikanNotFound, match="Resource does not exist"):
            await jikan.anime_user_updates(424242)
    assert len(fake.requests) == 1


async def test_429_with_retry_after_pauses_then_succeeds(fake: FakeJikan) -> None:
    fake.inject("rate_limit", times=2, retry_after="0.2")
    async with client_for(fake, backoff_base=5.0) as jikan:
        started = time.monotonic()
        page = await jikan.search_users("member")
        elapsed = time.monotonic() - started
    assert page.items[0] == "member_000"
    assert 0.4 <= elapsed < 3, "Retry-After (0.2 s, twice) wins over the 5 s backoff"
    assert jikan.stats.statuses == {429: 2, 200: 1}


async def test_429_until_the_retries_run_out(fake: FakeJikan) -> None:
    fake.inject("rate_limit", times=5)
    async with client_for(fake) as jikan:
        with pytest.raises(JikanRateLimited, match="RateLimitException"):
            await jikan.random_user()
    assert len(fake.requests) == 3  # the first try and max_retries=2


@pytest.mark.parametrize("status", [500, 503])
async def test_server_errors_are_retried(fake: FakeJikan, status: int) -> None:
    fake.inject("server_error", times=1, status=status)
    async with client_for(fake) as jikan:
        assert (await jikan.top_anime()).items[0] == 5114
    fake.inject("server_error", times=3, status=status)
    async with client_for(fake) as jikan:
        with pytest.raises(JikanUnavailable, match=f"HTTP {status}"):
            await jikan.top_anime()


@pytest.mark.parametrize("kind", ["malformed_json", "without_data"])
async def test_unreadable_payloads_are_retried_then_refused(fake: FakeJikan, kind: str) -> None:
    fake.inject(kind, times=1)
    async with client_for(fake) as jikan:
        assert await jikan.random_user() in USERS
    fake.inject(kind, times=3)
    async with client_for(fake) as jikan:
        with pytest.raises(JikanInvalidResponse):
            await jikan.random_user()


async def test_connection_refused_is_unavailable() -> None:
    async with JikanClient("http://127.0.0.1:9/v4", max_retries=1, backoff_base=0.01) as jikan:
        with pytest.raises(JikanUnavailable):
            await jikan.random_user()


async def test_requests_keep_every_window(fake: FakeJikan) -> None:
    """Scaled-down published limits: 3 per 0.2 s and 6 per 1 s (Jikan: 3/s, 60/min)."""
    async with client_for(fake, limits=((3, 0.2), (6, 1.0))) as jikan:
        await asyncio.gather(*(jikan.random_user() for _ in range(8)))
    starts = [r.at for r in fake.requests]
    for i, at in enumerate(starts):
        assert sum(1 for t in starts[i:] if t - at < 0.19) <= 3
        assert sum(1 for t in starts[i:] if t - at < 0.99) <= 6
    assert starts[-1] - starts[0] >= 0.95, "the 7th and 8th wait for the 1 s window"


async def test_limiter_defer_pauses_everyone() -> None:
    limiter = SlidingWindowLimiter(((100, 1.0),))
    limiter.defer(0.2)
    started = time.monotonic()
    await asyncio.gather(limiter.acquire(), limiter.acquire())
    assert time.monotonic() - started >= 0.19
    with pytest.raises(ValueError, match="count >= 1"):
        SlidingWindowLimiter(((0, 1.0),))
