"""Small data for the lifecycle tests: the shipped Kaggle layout, collector output, a bot DB."""

from __future__ import annotations

import asyncio
import gzip
import json
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import numpy as np
from sqlalchemy import pool

from bot.db.engine import create_engine
from bot.db.migrate import upgrade
from bot.db.models import Anime, LinkedAccount, ListEntry


def write_sample(directory: Path, n_users: int = 60, seed: int = 0, n_items: int = 30) -> Path:
    """A tiny sample in the shipped layout: gzipped rating.csv and a 3-column anime.csv;
    users in two taste clusters over ids 1–45."""
    directory.mkdir(parents=True)
    rng = np.random.default_rng(seed)
    rows = ["user_id,anime_id,rating"]
    for u in range(n_users):
        pool_ = np.arange(1, n_items + 1) + (u % 2) * (n_items // 2)
        for a in rng.choice(pool_, size=10, replace=False):
            rows.append(f"{u},{a},{int(rng.integers(1, 11)) if a % 4 else -1}")
    with gzip.open(directory / "rating.csv.gz", "wt", encoding="utf-8") as handle:
        handle.write("\n".join(rows) + "\n")
    top = n_items + n_items // 2
    anime = ["anime_id,name,type", *(f'{a},"Title {a}, the show",TV' for a in range(1, top + 1))]
    with gzip.open(directory / "anime.csv.gz", "wt", encoding="utf-8") as handle:
        handle.write("\n".join(anime) + "\n")
    return directory


def fetch(
    username: str, when: str, entries: Sequence[tuple[int, int]] = (), status: int = 200
) -> dict[str, object]:
    """One collector line; ``entries`` are (anime id, score), all completed."""
    return {
        "username": username,
        "http_status": status,
        "fetched_at": when,
        "entries": [
            {"anime_id": a, "status": "completed", "score": s, "num_episodes_watched": 1}
            for a, s in entries
        ]
        if status == 200
        else [],
    }


def write_collected(directory: Path, records: Sequence[dict[str, object]], part: str = "a") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    with gzip.open(directory / f"part-{part}.jsonl.gz", "wt", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record) + "\n")
    return directory


def make_database(
    url: str,
    accounts: Sequence[tuple[int, str, str, datetime | None, Sequence[tuple[int, int]]]],
    titles: Sequence[tuple[int, str, str]] = (),
) -> str:
    """A database migrated by the real Alembic migrations, with linked accounts
    ``(discord id, username, source, last sync, [(anime id, score)])`` and catalog titles."""
    from sqlalchemy.ext.asyncio import AsyncSession

    async def build() -> None:
        await upgrade(url)
        engine = create_engine(url, poolclass=pool.NullPool)
        try:
            async with AsyncSession(engine) as session:
                for discord_id, name, source, synced, entries in accounts:
                    session.add(
                        LinkedAccount(
                            discord_user_id=discord_id,
                            mal_username=name,
                            source=source,
                            last_sync_at=synced,
                        )
                    )
                    await session.flush()
                    for anime_id, score in entries:
                        session.add(
                            ListEntry(
                                discord_user_id=discord_id,
                                anime_id=anime_id,
                                status="completed",
                                score=score,
                            )
                        )
                for anime_id, title, media in titles:
                    session.add(Anime(anime_id=anime_id, title=title, media_type=media))
                await session.commit()
        finally:
            await engine.dispose()

    asyncio.run(build())
    return url
