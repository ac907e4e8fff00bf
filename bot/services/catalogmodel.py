"""The served model and the catalog it ranks: built together, and rebuilt as the catalog grows.

The recommender ranks every catalog title (its side channel scores those outside the network's
corpus), so it is built with the catalog as it is at load time: the shipped catalog, MAL's rows
(:attr:`CatalogService.model_catalog`) and its own corpus titles the catalog lacks. When the
background refresh brings new titles or details from MAL, :func:`refresh_served_catalog` builds
the same model again over the new catalog (the weights are memory-mapped and shared: only the
catalog's index is new, about a second in a worker thread) and swaps it into the pool.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.services.catalog import CatalogService
    from bot.services.pool import RecommenderPool
    from model import Recommender
    from model.artifact import Artifact
    from model.catalog import Catalog

log = logging.getLogger(__name__)


def serving_recommender(artifact: Artifact, catalog: Catalog | None) -> Recommender:
    """A recommender for the bot over ``artifact``, ranking every title of ``catalog`` too."""
    from model import Recommender
    from model.catalog import CatalogTitle, normalize_type

    if catalog is not None:
        # Corpus titles the catalog lacks (newer than it, not yet seen by MAL's pages) are
        # still the network's to recommend: they join it by name and type.
        catalog = catalog.with_updates(
            CatalogTitle(
                int(item["anime_id"]),
                str(item.get("title") or f"Anime #{item['anime_id']}"),
                type=normalize_type(str(item.get("media_type") or "")),
            )
            for item in artifact.items
            if int(item["anime_id"]) not in catalog
        )
    # One BLAS thread per request: the pool runs several requests side by side.
    return Recommender(artifact, blas_threads=1, catalog=catalog)


async def refresh_served_catalog(pool: RecommenderPool, catalog: CatalogService) -> bool:
    """Serve the pool's model over the catalog as it is now; False when there is no model or a
    model swap came first (that one was loaded with the newer catalog already)."""
    current = pool.recommender
    if current is None:
        return False
    fresh = await asyncio.to_thread(serving_recommender, current.artifact, catalog.model_catalog)
    if pool.recommender is not current:
        fresh.close()
        return False
    pool.swap(fresh)
    return True
