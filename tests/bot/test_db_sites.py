"""Migration 0003 (AniList and Kitsu links) keeps what members stored, down and up again, on
SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import inspect, text

from bot.db.engine import create_engine
from bot.db.migrate import downgrade, upgrade
from tests.backends import POSTGRES_URL

USER = 9_000_000_001


@pytest.mark.parametrize(
    "url_kind", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
async def test_0003_down_and_up_keeps_links_and_their_mapped_entries(
    url_kind: str, sqlite_file_url: str
) -> None:
    if url_kind == "postgresql":
        if POSTGRES_URL is None:
            pytest.skip("ANIREC_TEST_POSTGRES_URL is not set")
        url = POSTGRES_URL
    else:
        url = sqlite_file_url
    engine = create_engine(url)
    now = datetime.now(UTC).replace(tzinfo=None)
    try:
        await upgrade(url)
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO linked_accounts (discord_user_id, mal_username, source, "
                    "site_user_id, linked_at, share_opt_in) VALUES (:u, 'Ann', 'anilist', '7', "
                    ":now, :f)"
                ),
                {"u": USER, "now": now, "f": False},
            )
            await conn.execute(
                text(
                    "INSERT INTO list_entries (discord_user_id, anime_id, status, score, "
                    "episodes, rewatching) VALUES (:u, 1, 'completed', 9, 26, :f)"
                ),
                {"u": USER, "f": False},
            )
            await conn.execute(
                text(
                    "INSERT INTO unmapped_entries (discord_user_id, site, site_anime_id, status, "
                    "score, episodes) VALUES (:u, 'anilist', 170000, 'completed', 8, 0)"
                ),
                {"u": USER},
            )

        await downgrade(url, "0002")
        async with engine.connect() as conn:
            tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
            columns = await conn.run_sync(
                lambda c: {col["name"] for col in inspect(c).get_columns("linked_accounts")}
            )
            account = (
                await conn.execute(
                    text(
                        "SELECT source, mal_username FROM linked_accounts "
                        "WHERE discord_user_id = :u"
                    ),
                    {"u": USER},
                )
            ).one()
            entries = await conn.scalar(
                text("SELECT count(*) FROM list_entries WHERE discord_user_id = :u"), {"u": USER}
            )
        assert "unmapped_entries" not in tables and "site_user_id" not in columns
        assert tuple(account) == ("anilist", "Ann") and entries == 1

        await upgrade(url)
        async with engine.connect() as conn:
            site_id = await conn.scalar(
                text("SELECT site_user_id FROM linked_accounts WHERE discord_user_id = :u"),
                {"u": USER},
            )
            unknown = await conn.scalar(text("SELECT count(*) FROM unmapped_entries"))
        assert site_id is None and unknown == 0
    finally:
        await upgrade(url)
        async with engine.begin() as conn:
            for table in ("unmapped_entries", "list_entries", "linked_accounts"):
                await conn.execute(
                    text(f"DELETE FROM {table} WHERE discord_user_id = :u"), {"u": USER}
                )
        await engine.dispose()
