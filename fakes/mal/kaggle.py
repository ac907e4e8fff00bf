"""Filling a fake MAL from a Kaggle-layout ``rating.csv`` and ``anime.csv``.

``rating.csv`` is ``user_id,anime_id,rating`` (−1 = unscored): users become ``user<ID>``,
entries ``completed``, with deterministic, distinct timestamps. ``anime.csv`` gives titles,
genres, types, episode counts, means and member counts.
"""

from __future__ import annotations

import csv
import zlib
from datetime import timedelta
from pathlib import Path

from fakes.mal.data import EPOCH, Entry, MalData


def load_kaggle(fake: MalData, ratings: str | Path, anime: str | Path | None = None) -> None:
    """Add the anime of ``anime`` and the lists of ``ratings`` to ``fake``."""
    episodes: dict[int, int] = {}
    if anime is not None:
        with open(anime, newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                anime_id = int(row["anime_id"])
                genres = [g.strip() for g in (row.get("genre") or "").split(",") if g.strip()]
                count = int(row["episodes"]) if row.get("episodes", "").isdigit() else 0
                episodes[anime_id] = count
                fake.add_anime(
                    anime_id,
                    row["name"],
                    media_type=(row.get("type") or "unknown").lower() or "unknown",
                    genres=genres,
                    mean=float(row["rating"]) if row.get("rating") else None,
                    num_list_users=int(row["members"]) if row.get("members") else 0,
                    nsfw="black" if "Hentai" in genres else "white",
                    num_episodes=count,
                )
    lists: dict[str, list[Entry]] = {}
    with open(ratings, newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        next(reader, None)
        for user_id, raw_id, rating in reader:
            aid = int(raw_id)
            entries = lists.setdefault(f"user{user_id}", [])
            # Deterministic, distinct timestamps so sort=list_updated_at is meaningful.
            stamp = EPOCH - timedelta(minutes=(zlib.crc32(f"{user_id}:{aid}".encode()) % 10**6))
            entries.append(
                (aid, "completed", max(int(rating), 0), episodes.get(aid, 0), False,
                 stamp.isoformat(timespec="seconds"))
            )  # fmt: skip
    for name, entries in lists.items():
        fake._names[name] = name
        fake._lists[name] = entries
