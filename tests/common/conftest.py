"""Fixtures for the MAL client tests: a running fake MAL API and a client pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from common.mal import MalClient
from fakes.mal import FakeMal
from tests.common.mal_setup import ANIME, big_list, make_client


@pytest.fixture
async def fake() -> AsyncIterator[FakeMal]:
    lists = {"alice": big_list(2345), "Bob_2": [(1, 9), (5114, 0, "plan_to_watch")], "empty": []}
    async with FakeMal.running(lists, ANIME, private=["hidden"]) as server:
        server.add_user("hidden", [(1, 7)], private=True)
        yield server


@pytest.fixture
async def mal(fake: FakeMal) -> AsyncIterator[MalClient]:
    async with make_client(fake) as client:
        yield client
