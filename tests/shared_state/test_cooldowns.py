"""Cool-downs held in the database: two processes (two engines) count one member's uses of a
command together, windows expire, and other members and commands are apart."""

from __future__ import annotations

import asyncio
import time

import pytest

from bot.db.engine import create_engine, session_factory
from bot.services.cooldowns import SharedCooldowns


async def test_uses_in_two_processes_add_up(db_url: str) -> None:
    engines = [create_engine(db_url), create_engine(db_url)]
    one, two = (SharedCooldowns(session_factory(e)) for e in engines)
    try:
        assert await one.hit(7, "link", 2, 60.0) is None
        assert await two.hit(7, "link", 2, 60.0) is None
        wait = await one.hit(7, "link", 2, 60.0)  # the third use, whichever process gets it
        assert wait is not None and 55.0 < wait <= 60.0
        assert await two.hit(7, "link", 2, 60.0) is not None
        assert await two.hit(8, "link", 2, 60.0) is None  # another member
        assert await two.hit(7, "import", 2, 60.0) is None  # another command
        # Many uses at once from both: exactly `rate` pass.
        results = await asyncio.gather(*(s.hit(9, "refresh", 3, 60.0) for s in (one, two) * 5))
        assert sum(r is None for r in results) == 3
    finally:
        for engine in engines:
            await engine.dispose()


async def test_a_window_ends(db_url: str) -> None:
    engine = create_engine(db_url)
    cooldowns = SharedCooldowns(session_factory(engine))
    try:
        start = time.time()
        assert await cooldowns.hit(7, "refresh", 1, 30.0, now=start) is None
        assert await cooldowns.hit(7, "refresh", 1, 30.0, now=start + 29.0) == pytest.approx(1.0)
        assert await cooldowns.hit(7, "refresh", 1, 30.0, now=start + 30.5) is None  # a new window
        assert await cooldowns.hit(7, "refresh", 1, 30.0, now=start + 31.0) is not None
    finally:
        await engine.dispose()
