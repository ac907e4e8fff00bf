"""What a load test serves: the model (trained, or random weights), the anime, one MAL list per
member (real lists from ``rating.csv`` when there are enough, else random ones)."""

from __future__ import annotations

import random
from pathlib import Path

from fakes.discord.catalog import (
    CATALOG,
    Anime,
    ListEntries,
    load_anime_csv,
    load_rating_csv,
    pick_users,
    popular_ids,
)
from fakes.discord.stack import artifact_catalog, build_tiny_model

STATUSES = ("completed", "completed", "completed", "watching", "dropped", "plan_to_watch")


def random_lists(catalog: list[Anime], count: int, seed: int = 0) -> dict[str, ListEntries]:
    rng = random.Random(seed)
    ids = [a.anime_id for a in catalog]
    lists = {}
    for i in range(count):
        chosen = rng.sample(ids, k=min(len(ids), rng.randint(8, 25)))
        lists[f"loaduser{i}"] = [
            (anime_id, rng.choice((0, *range(4, 11))), rng.choice(STATUSES)) for anime_id in chosen
        ]
    return lists


def prepare(
    workdir: Path, model: Path, data: Path | None, members: int, random_items: int
) -> tuple[Path, list[Anime], dict[str, ListEntries], str]:
    """(model directory, anime the fake MAL knows, MAL name → list, a line saying which)."""
    corpus: list[Anime] | None = None
    note = ""
    if not random_items and (model / "manifest.json").exists():
        corpus = artifact_catalog(model)
        note = f"model: {model} ({len(corpus):,} titles)"
    titles: dict[int, Anime] = {}
    lists: dict[str, ListEntries] = {}
    if data is not None and (data / "rating.csv").exists():
        titles, lists = load_anime_csv(data / "anime.csv"), load_rating_csv(data / "rating.csv")
    if corpus is None:
        size = random_items or 400
        ids = popular_ids(lists, size) if lists else [a.anime_id for a in CATALOG]
        known = {a.anime_id: a for a in CATALOG} | titles
        corpus = [known.get(i, Anime(i, f"Anime {i}")) for i in ids]
        model = build_tiny_model(workdir / "random-model", corpus, full_size=bool(random_items))
        kind = "full-size" if random_items else "tiny"
        note = f"model: {kind} random-weight model over {len(corpus)} titles"
    corpus_ids = {a.anime_id for a in corpus}
    users = pick_users(lists, corpus_ids, members, min_entries=10, max_entries=200) if lists else []
    if len(users) == members:
        chosen = {u: lists[u] for u in users}
        note += f"; {members} users from {data}/rating.csv"
    else:
        chosen = random_lists(corpus, members)
        note += f"; {members} random lists over the corpus"
    known = {a.anime_id: a for a in corpus} | titles
    needed = corpus_ids | {e[0] for entries in chosen.values() for e in entries}
    anime = [known.get(i, Anime(i, f"Anime {i}")) for i in sorted(needed)]
    return model, anime, chosen, note
