"""Live model swap: notice a new model at ``MODEL_PATH`` and serve it without a restart.

``python -m training promote`` makes ``MODEL_PATH`` a symlink to the live version directory and
replaces it atomically (``os.replace``); older installs have ``MODEL_PATH`` as a real directory
rewritten in place. :class:`ModelWatcher` compares, every ``MODEL_WATCH_SECONDS``, the symlink's
target (``os.path.realpath``) and the artifact's files' sizes and mtimes with what it loaded. On a
change it loads the new artifact in a worker thread (never in the event loop), refuses a broken
one with one log line (the old model keeps serving; the same broken files are not retried), and
otherwise swaps it into the :class:`~bot.services.pool.RecommenderPool` and seeds the catalog with
the new corpus titles (:meth:`~bot.services.catalog.CatalogService.seed`).
"""

from __future__ import annotations

import asyncio
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.services.catalog import CatalogService
    from bot.services.pool import RecommenderPool
    from model import Recommender
    from model.catalog import Catalog

log = logging.getLogger(__name__)

Fingerprint = tuple[str, tuple[tuple[str, int, int], ...]]
"""(real path, ((file relative path, size, mtime_ns), …)) of an artifact directory."""


def fingerprint(path: Path) -> Fingerprint | None:
    """What identifies the artifact at ``path`` now; ``None`` when there is none."""
    real = os.path.realpath(path)
    if not os.path.isdir(real):
        return None
    files: list[tuple[str, int, int]] = []
    for directory, _, names in os.walk(real):
        for name in names:
            full = os.path.join(directory, name)
            try:
                stat = os.stat(full)
            except OSError:  # replaced while we looked: the next look sees the new one
                continue
            files.append((os.path.relpath(full, real), stat.st_size, stat.st_mtime_ns))
    return real, tuple(sorted(files))


def load_recommender(path: Path, catalog: Catalog | None = None) -> Recommender:
    """Load the artifact at ``path`` for serving, ranking every title of ``catalog`` too
    (:func:`bot.services.catalogmodel.serving_recommender`); raises ``ArtifactError`` and
    others."""
    from bot.services.catalogmodel import serving_recommender
    from model.artifact import load_artifact

    return serving_recommender(load_artifact(path), catalog)


async def seed_catalog(catalog: CatalogService, recommender: Recommender) -> int:
    """Add the model's corpus titles the catalog lacks and mark them in the corpus."""
    items: list[dict[str, Any]] = [
        item
        for aid in recommender.corpus_ids.tolist()
        if (item := recommender.item(int(aid))) is not None
    ]
    return await catalog.seed(items)


@dataclass(frozen=True, slots=True)
class SwapResult:
    """What one :meth:`ModelWatcher.check` did: ``"none"`` (nothing changed), ``"loaded"``,
    ``"refused"`` (the new files failed to load) or ``"gone"`` (no model at the path)."""

    outcome: str
    path: str = ""
    n_items: int = 0
    new_titles: int = 0
    detail: str = ""


class ModelWatcher:
    """Checks ``path`` for a new model and swaps it into ``pool`` (see the module docstring)."""

    def __init__(
        self,
        path: Path,
        pool: RecommenderPool,
        catalog: CatalogService,
        *,
        loaded: Fingerprint | None = None,
    ) -> None:
        self.path = path
        self.pool = pool
        self.catalog = catalog
        self.current = loaded  # the files the pool's model was loaded from
        self._refused: Fingerprint | None = None
        self._lock = asyncio.Lock()
        self.swaps = 0

    async def check(self) -> SwapResult:
        """Look once; load and swap when the artifact changed. Never raises for a bad model."""
        async with self._lock:
            now = await asyncio.to_thread(fingerprint, self.path)
            if now == self.current or now is None:
                if now is None and self.current is not None:
                    # Keep serving: a missing path is more often a promote in progress than
                    # a wish to stop recommending.
                    return SwapResult("gone", str(self.path))
                return SwapResult("none")
            if now == self._refused:
                return SwapResult("none")
            return await self._load(now)

    async def _load(self, now: Fingerprint) -> SwapResult:
        from model.artifact import ArtifactError

        real = now[0]
        try:
            recommender = await asyncio.to_thread(
                load_recommender, Path(real), self.catalog.model_catalog
            )
        except ArtifactError as exc:
            self._refused = now
            log.error(
                "model swap: refused the model at %s (%s); still serving the old one", real, exc
            )
            return SwapResult("refused", real, detail=str(exc))
        except Exception as exc:
            self._refused = now
            log.error(
                "model swap: the model at %s failed to load (%s: %s); still serving the old one",
                real,
                type(exc).__name__,
                exc,
            )
            return SwapResult("refused", real, detail=f"{type(exc).__name__}: {exc}")
        previous = self.pool.recommender
        was = f"{previous.n_items} titles" if previous is not None else "no model"
        del previous  # holding it would keep the old model's memory (see RecommenderPool.swap)
        self.pool.swap(recommender)
        self.current, self._refused = now, None
        self.swaps += 1
        added = await seed_catalog(self.catalog, recommender)
        log.info(
            "model swap: now serving %s (%d titles, %d new in the catalog; was %s)",
            real,
            recommender.n_items,
            added,
            was,
        )
        return SwapResult("loaded", real, recommender.n_items, added)
