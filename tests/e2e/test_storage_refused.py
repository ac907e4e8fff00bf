"""The database refuses writes under the running bot (SQLite's read-only mode: the error a
read-only file or file system gives): one clear log line, members still get ``/recommend``
and ``/profile`` from what is stored, and commands that must save get a short message."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from sqlalchemy import event

from bot.db.errors import reset_log
from bot.error_policy import STORAGE_MESSAGES
from tests.e2e.conftest import World
from tests.e2e.test_outages import ids

REFUSED = "database refuses writes"


async def test_a_read_only_database_still_answers_what_is_stored(
    world: World, bot: Any, caplog: pytest.LogCaptureFixture
) -> None:
    linked = await world.slash(world.alice, "link", username="alice_mal")
    assert "**14** entries" in linked.text, linked.text
    before = await world.slash(world.alice, "recommend", count=5)

    engine = bot.services.sessions.kw["bind"]

    # Every connection handed out from now on refuses writes ("attempt to write a readonly
    # database"). Set per checkout rather than by disposing of the pool: connections checked out
    # during a dispose are left to the garbage collector, which aiosqlite reports as a leak.
    @event.listens_for(engine.sync_engine, "checkout")
    def read_only(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA query_only = ON")
        cursor.close()

    reset_log()  # another test may have logged a refusal within the minute
    caplog.set_level(logging.INFO)

    during = await world.slash(world.alice, "recommend", count=5)
    assert ids(during) == ids(before) and ids(during), during.text
    profile = await world.slash(world.alice, "profile")
    assert "**14** entries" in profile.text, profile.text
    refused = await world.slash(world.bob, "link", username="bob_mal")
    assert refused.ephemeral and refused.text == STORAGE_MESSAGES["read-only"], refused.text
    again = await world.slash(world.admin, "config", default_count=3)
    assert again.ephemeral and again.text == STORAGE_MESSAGES["read-only"], again.text
    assert caplog.text.count(REFUSED) == 1  # one clear line, not one per command
    assert "Traceback" not in caplog.text
