"""The served model over the catalog: built with it, rebuilt when MAL brings new titles."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services.catalog import CatalogService
from bot.services.catalogmodel import refresh_served_catalog, serving_recommender
from bot.services.pool import RecommenderPool
from common.mal import AlternativeTitles, MalAnime
from model.artifact import load_artifact
from model.catalog import Catalog, CatalogTitle
from tests.bot.artifacts import tiny_artifact


def _listed(anime_id: int, title: str) -> MalAnime:
    return MalAnime(
        id=anime_id,
        title=title,
        alternative_titles=AlternativeTitles(),
        main_picture=None,
        media_type="tv",
        genres=("Drama",),
        mean=None,
        num_list_users=10,
        nsfw="white",
        start_season=None,
        num_episodes=12,
    )


async def test_model_ranks_the_catalog_and_follows_it(
    sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    artifact = load_artifact(tiny_artifact(tmp_path / "model"))
    base = Catalog.from_titles(
        [CatalogTitle(100 + i, f"Tiny Anime {i}", type="tv", nsfw=False) for i in range(20)]
    )
    catalog = CatalogService(sessions, base=base)
    await catalog.load()
    served = serving_recommender(artifact, catalog.model_catalog)
    assert served.mixing is not None
    ranked = set(np.asarray(served.mixing.index.ids).tolist())
    assert set(range(100, 140)) <= ranked  # corpus titles the catalog lacked joined it
    pool = RecommenderPool(served, threads=1)
    try:
        await catalog.store_listed([_listed(88001, "Brand New Show")])
        assert await refresh_served_catalog(pool, catalog)
        fresh = pool.recommender
        assert fresh is not None and fresh is not served and fresh.mixing is not None
        assert 88001 in set(np.asarray(fresh.mixing.index.ids).tolist())
        assert fresh.artifact is artifact  # the same weights, not loaded again

        # a model swap while the catalog's rebuild ran: the swapped-in model stays
        other = serving_recommender(artifact, catalog.model_catalog)
        task = asyncio.create_task(refresh_served_catalog(pool, catalog))
        await asyncio.sleep(0)  # it has read the model it rebuilds
        pool.swap(other)
        assert not await task
        assert pool.recommender is other
    finally:
        await pool.close()
