"""Reading the bot's database: every linked member's stored list, read-only.

Training never imports the bot (import contract), so the tables are named here with SQLAlchemy
Core (``sqlalchemy.table``/``column``), only the columns read: ``linked_accounts`` (who, which
site, when synced) and ``list_entries`` (MAL anime ids, status, score), plus titles and media
types from ``anime`` when that table is there. Only ``SELECT`` statements run, in a transaction
that is rolled back; a SQLite file is opened read-only (``mode=ro``). Any SQLAlchemy URL the bot
takes works (``sqlite+aiosqlite:///data/anirec.db``, ``postgresql+asyncpg://…``).

Keys: a list fetched from MAL or imported from a MAL export is ``mal:<username, casefolded>``
(the key the collector's lists get, so the newest copy of one MAL user wins across sources);
AniList and Kitsu lists are ``anilist:<name>`` and ``kitsu:<name>``. A list's time is its last
good sync (``last_sync_at``), else when it was linked.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import create_async_engine

from model.profile import STATUSES, ProfileEntry, dedupe

ACCOUNTS = sa.table(
    "linked_accounts",
    sa.column("discord_user_id", sa.BigInteger()),
    sa.column("mal_username", sa.String()),
    sa.column("source", sa.String()),
    sa.column("linked_at", sa.DateTime(timezone=True)),
    sa.column("last_sync_at", sa.DateTime(timezone=True)),
)
ENTRIES = sa.table(
    "list_entries",
    sa.column("discord_user_id", sa.BigInteger()),
    sa.column("anime_id", sa.Integer()),
    sa.column("status", sa.String()),
    sa.column("score", sa.SmallInteger()),
)
ANIME = sa.table(
    "anime",
    sa.column("anime_id", sa.Integer()),
    sa.column("title", sa.String()),
    sa.column("media_type", sa.String()),
)
MAL_SOURCES = ("mal", "import")


@dataclass(frozen=True)
class StoredList:
    """One linked member's stored list."""

    key: str
    entries: list[ProfileEntry]
    updated: datetime | None


def is_database_url(text: str) -> bool:
    """Whether a ``--data`` value is a database URL rather than a path."""
    return "://" in text


def read_only_url(url: str | URL) -> URL:
    """``url`` with a SQLite file opened read-only (other backends: unchanged)."""
    parsed = make_url(url)
    database = parsed.database or ""
    if parsed.get_backend_name() != "sqlite" or database in ("", ":memory:"):
        return parsed
    if database.startswith("file:"):
        return parsed
    return parsed.set(database=f"file:{database}?mode=ro", query={**parsed.query, "uri": "true"})


def _utc(value: Any) -> datetime | None:
    if not isinstance(value, datetime):
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def account_key(source: str, username: str, discord_user_id: int) -> str:
    """The merge key of one linked account (module doc)."""
    name = username.strip().casefold()
    if not name:
        return f"discord:{discord_user_id}"
    return f"mal:{name}" if source in MAL_SOURCES else f"{source}:{name}"


async def _read(url: URL) -> tuple[list[StoredList], dict[int, tuple[str, str]]]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            accounts = (await connection.execute(sa.select(ACCOUNTS))).all()
            rows = (
                await connection.execute(
                    sa.select(ENTRIES).order_by(ENTRIES.c.discord_user_id, ENTRIES.c.anime_id)
                )
            ).all()
            names = await connection.run_sync(lambda sync: sa.inspect(sync).has_table("anime"))
            anime: dict[int, tuple[str, str]] = {}
            if names:
                for a in (await connection.execute(sa.select(ANIME))).all():
                    anime[int(a.anime_id)] = (str(a.title or ""), str(a.media_type or ""))
            await connection.rollback()
    finally:
        await engine.dispose()
    entries: dict[int, list[ProfileEntry]] = {}
    for row in rows:
        status = row.status if row.status in STATUSES else None
        score = min(max(int(row.score or 0), 0), 10)
        entries.setdefault(int(row.discord_user_id), []).append(
            ProfileEntry(int(row.anime_id), score, status)
        )
    lists = [
        StoredList(
            account_key(str(a.source or "mal"), str(a.mal_username or ""), int(a.discord_user_id)),
            dedupe(entries.get(int(a.discord_user_id), [])),
            _utc(a.last_sync_at) or _utc(a.linked_at),
        )
        for a in accounts
    ]
    return [s for s in lists if s.entries], anime


def read_database(url: str | URL) -> tuple[list[StoredList], dict[int, tuple[str, str]]]:
    """Every linked member's non-empty stored list and ``{anime_id: (title, media_type)}``."""
    return asyncio.run(_read(read_only_url(url)))
