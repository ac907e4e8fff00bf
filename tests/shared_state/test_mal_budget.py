"""One MAL request budget for the deployment: two MAL clients on two engines (two processes)
sharing the database budget start no more requests together than the rate allows, counted at
a fake MAL on 127.0.0.1, and a ``Retry-After`` answered to one pauses the other."""

from __future__ import annotations

import asyncio

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services.malbudget import DatabaseBudget
from common.mal import MalClient
from fakes.mal import FakeMal

RATE = 10.0  # requests a second for the whole deployment
WINDOW = 1.0
PER_CLIENT = 12
JITTER = 2  # arrivals late by up to two intervals (the fake shares the clients' event loop)


def most_in_a_window(starts: list[float], window: float) -> int:
    """The most request arrivals in any ``window`` seconds."""
    starts = sorted(starts)
    best, first = 0, 0
    for last, t in enumerate(starts):
        while t - starts[first] >= window:
            first += 1
        best = max(best, last - first + 1)
    return best


def clients(fake: FakeMal, sessions: list[async_sessionmaker[AsyncSession]]) -> list[MalClient]:
    made = []
    for s in sessions:
        # Each process alone may go at the whole rate: only the shared budget keeps the sum.
        client = MalClient(fake.base_url, "id", requests_per_second=RATE, max_concurrency=8)
        client.limiter.budget = DatabaseBudget(s, RATE)
        made.append(client)
    return made


async def test_two_processes_together_keep_one_rate(
    two: list[async_sessionmaker[AsyncSession]],
) -> None:
    async with FakeMal.running(anime={i: {"title": f"T{i}"} for i in range(1, 50)}) as fake:
        pair = clients(fake, two)
        try:
            await asyncio.gather(
                *(c.get_anime(1 + i % 40) for c in pair for i in range(PER_CLIENT))
            )
        finally:
            for client in pair:
                await client.close()
        starts = [r.at for r in fake.requests_to("/anime/")]
    assert len(starts) == 2 * PER_CLIENT
    # Alone, each would send RATE a second (2x together: 20 in a window).
    assert most_in_a_window(starts, WINDOW) <= RATE * WINDOW + JITTER


async def test_retry_after_to_one_process_pauses_the_other(
    two: list[async_sessionmaker[AsyncSession]],
) -> None:
    async with FakeMal.running(anime={1: {"title": "A"}, 2: {"title": "B"}}) as fake:
        pair = clients(fake, two)
        fake.rate_limit(times=1, retry_after="1", match="/anime/1")
        try:
            first = asyncio.create_task(pair[0].get_anime(1))  # 429, Retry-After: 1, retried
            for _ in range(500):  # bounded: until the fake has seen the first request
                if fake.requests_to("/anime/1"):
                    break
                await asyncio.sleep(0.01)
            await asyncio.sleep(0.2)  # the 429 is answered and its pause shared
            await pair[1].get_anime(2)
            await first
        finally:
            for client in pair:
                await client.close()
        refused = fake.requests_to("/anime/1")[0].at
        other = fake.requests_to("/anime/2")[0].at
    assert other - refused >= 0.9  # the other process waited out MAL's Retry-After
