"""The MAL client's faults and politeness against the local fake MAL API: retries with backoff,
Retry-After, request spacing and the concurrency cap."""

from __future__ import annotations

import asyncio
import itertools
import time
from datetime import UTC, datetime

import pytest

from common.mal import (
    InvalidResponse,
    MalError,
    MalUnavailable,
    RateLimited,
    RateLimiter,
)
from common.mal.client import parse_retry_after
from fakes.mal import FakeMal
from tests.common.mal_setup import make_client

# --- faults recovered -----------------------------------------------------------------------

RECOVERABLE = [
    ("rate_limit", {"retry_after": "0.05"}),
    ("rate_limit", {"retry_after": None}),
    ("server_error", {"status": 500}),
    ("server_error", {"status": 502}),
    ("server_error", {"status": 503}),
    ("slow", {"delay": 0.6}),
    ("truncated_json", {}),
    ("malformed_json", {}),
    ("without_data", {}),
    ("disconnect", {}),
]


@pytest.mark.parametrize(("kind", "options"), RECOVERABLE)
async def test_faults_are_retried_and_recovered(fake: FakeMal, kind: str, options: dict) -> None:
    # Only "slow" is about the timeout; elsewhere a short one would add retries of its own on a
    # loaded machine (a 1,000-entry page can take longer than 0.3 s to serve and parse there).
    timeout = 0.3 if kind == "slow" else 5.0
    async with make_client(fake, timeout=timeout) as client:
        fake.inject(kind, times=2, match="offset=1000", **options)
        entries = await client.get_animelist("alice")
        assert len(entries) == 2345
        assert len({e.anime_id for e in entries}) == 2345
        # aiohttp itself resends once when a kept-alive connection drops, so a disconnect
        # may cost the client one retry instead of two.
        low = 1 if kind == "disconnect" else 2
        assert low <= client.stats.retries <= 2
        fake.inject(kind, times=2, match="/anime/", **options)
        assert (await client.get_anime(1)).title == "Cowboy Bebop"
        assert 2 * low <= client.stats.retries <= 4
        assert fake.pending_faults == []  # every injected fault was met


EXHAUSTED = [
    ("rate_limit", {"retry_after": "0.01"}, RateLimited),
    ("server_error", {"status": 500}, MalUnavailable),
    ("slow", {"delay": 0.6}, MalUnavailable),
    ("disconnect", {}, MalUnavailable),
    ("truncated_json", {}, InvalidResponse),
    ("malformed_json", {}, InvalidResponse),
    ("without_data", {}, InvalidResponse),
]


@pytest.mark.parametrize(("kind", "options", "error"), EXHAUSTED)
async def test_faults_past_the_retries_raise_typed_errors(
    fake: FakeMal, kind: str, options: dict, error: type[MalError]
) -> None:
    async with make_client(fake, timeout=0.3, max_retries=2) as client:
        fake.inject(kind, times=50, **options)
        with pytest.raises(error) as caught:
            await client.get_animelist("bob_2")
        assert caught.value.user_message
        assert client.stats.requests == 3  # bounded: 1 + max_retries


async def test_retry_after_seconds_is_honoured(fake: FakeMal) -> None:
    async with make_client(fake) as client:
        fake.rate_limit(times=1, retry_after="0.4")
        await client.get_anime(1)
    first, second = fake.requests
    assert second.at - first.at >= 0.38


async def test_retry_after_pauses_every_request_of_the_client(fake: FakeMal) -> None:
    async with make_client(fake) as client:
        fake.rate_limit(times=1, retry_after="0.4", match="/anime/1")
        throttled = asyncio.create_task(client.get_anime(1))
        await asyncio.sleep(0.1)
        await client.get_anime(5114)  # must wait for MAL's Retry-After too
        await throttled
    limited_at = fake.requests[0].at
    later = [r.at for r in fake.requests[1:]]
    assert min(later) - limited_at >= 0.38


async def test_retry_after_is_capped(fake: FakeMal) -> None:
    async with make_client(fake, retry_after_max=0.2) as client:
        fake.rate_limit(times=1, retry_after="3600")
        started = time.monotonic()
        await client.get_anime(1)
        assert time.monotonic() - started < 1.5


def test_parse_retry_after_forms() -> None:
    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC).timestamp()
    assert parse_retry_after("7", now=now) == 7
    assert parse_retry_after("1.5", now=now) == 1.5
    assert parse_retry_after("Thu, 01 Jan 2026 12:00:30 GMT", now=now) == pytest.approx(30)
    assert parse_retry_after("Thu, 01 Jan 2026 11:00:00 GMT", now=now) == 0
    assert parse_retry_after("soon", now=now) is None
    assert parse_retry_after(None) is None


async def test_retry_after_http_date_is_honoured(fake: FakeMal) -> None:
    from email.utils import formatdate

    async with make_client(fake, retry_after_max=5) as client:
        fake.rate_limit(times=1, retry_after=formatdate(time.time() + 1.2, usegmt=True))
        await client.get_anime(1)
    first, second = fake.requests
    assert second.at - first.at >= 0.15  # HTTP dates have 1 s resolution


# --- politeness -----------------------------------------------------------------------------


async def test_limiter_spaces_request_starts() -> None:
    limiter = RateLimiter(requests_per_second=20, max_concurrency=8)
    starts: list[float] = []

    async def one() -> None:
        async with limiter.slot():
            starts.append(time.monotonic())

    await asyncio.gather(*(one() for _ in range(10)))
    # The limiter books start slots 0.05 s apart; a task woken late by a busy loop may start
    # closer to the next one, but never before its slot: the i-th start is >= i · 0.05 s in.
    for i, start in enumerate(starts):
        assert start - starts[0] >= i * 0.05 - 0.002, i
    assert starts[-1] - starts[0] < 1.0


async def test_client_requests_are_spaced_by_the_limit(fake: FakeMal) -> None:
    async with make_client(fake, requests_per_second=10, max_concurrency=4) as client:
        await asyncio.gather(*(client.get_anime(1) for _ in range(6)))
    starts = sorted(r.at for r in fake.requests)
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    # Arrival times at the server carry the loop's scheduling jitter on a loaded machine: the
    # limiter spaces starts 0.1 s apart, unspaced requests would arrive ~0 s apart.
    assert min(gaps) >= 0.05
    assert starts[-1] - starts[0] >= 0.4


async def test_concurrency_cap(fake: FakeMal) -> None:
    fake.latency = 0.15
    async with make_client(fake, requests_per_second=0, max_concurrency=2) as client:
        started = time.monotonic()
        await asyncio.gather(*(client.get_anime(1) for _ in range(6)))
        elapsed = time.monotonic() - started
    assert elapsed >= 0.44  # 6 requests, 2 at a time, 0.15 s each
    starts = sorted(r.at for r in fake.requests)
    assert starts[2] - starts[0] >= 0.14  # the third waited for a free slot


async def test_limiter_off_does_not_wait(fake: FakeMal) -> None:
    async with make_client(fake, requests_per_second=0, max_concurrency=8) as client:
        started = time.monotonic()
        await asyncio.gather(*(client.get_anime(1) for _ in range(40)))
        assert time.monotonic() - started < 2.0
    assert len(fake.requests) == 40
