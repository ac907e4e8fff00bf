"""A bot process's sync, run as a subprocess that the kill -9 tests kill mid-list:
``python -m tests.faults.child_sync DB_URL MAL_URL refresh|link USER_ID [USERNAME]``.

``refresh`` runs one background round (leasing accounts for LEASE_SECONDS as ``child``);
``link`` links USER_ID to USERNAME. Prints ``started`` once its database is open."""

from __future__ import annotations

import asyncio
import sys
from datetime import timedelta

from bot.db.engine import create_engine, session_factory
from bot.services.catalog import CatalogService
from bot.services.leases import AccountLeases
from bot.services.sync import SyncService
from common.mal import MalClient

LEASE_SECONDS = 3.0


async def main(db_url: str, mal_url: str, mode: str, user_id: int, username: str) -> None:
    engine = create_engine(db_url)
    sessions = session_factory(engine)
    leases = AccountLeases(sessions, owner="child", duration=timedelta(seconds=LEASE_SECONDS))
    async with MalClient(mal_url, "id", requests_per_second=0, max_retries=0, timeout=60) as mal:
        sync = SyncService(sessions, mal, CatalogService(sessions), leases=leases)
        print("started", flush=True)
        if mode == "refresh":
            await sync.refresh_due(timedelta(0), None)
        else:
            await sync.link(user_id, username)
    await engine.dispose()


if __name__ == "__main__":
    db, mal, mode, user = sys.argv[1:5]
    name = sys.argv[5] if len(sys.argv) > 5 else ""
    asyncio.run(main(db, mal, mode, int(user), name))
