"""Fixtures of the fakes' own tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from fakes.discord import FakeDiscord


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord.running(heartbeat_interval=0.2, ack_deadline=3.0) as fake:
        yield fake
