"""RecommenderPool.swap and ModelWatcher: calls running at a swap finish on the old model, later
ones use the new one, the old one is closed once idle; the watcher notices both promote layouts
(a replaced symlink, a directory rewritten in place), loads in a thread and refuses broken files."""

from __future__ import annotations

import asyncio
import os
import shutil
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services.catalog import CatalogService
from bot.services.modelwatch import ModelWatcher, fingerprint
from bot.services.pool import RecommenderPool
from model import ProfileEntry, Recommender
from model.recommender.query import RecommendationQuery
from tests.bot.artifacts import tiny_artifact


class Gated:
    """A recommender whose calls wait for ``gate`` and that records being closed."""

    def __init__(self, inner: Recommender, name: str) -> None:
        self.inner = inner
        self.name = name
        self.gate = threading.Event()
        self.gate.set()
        self.started = threading.Event()
        self.closed = False
        self.served = 0

    def recommend_many(self, profiles: Any, query: Any) -> Any:
        self.started.set()
        assert self.gate.wait(10)
        self.served += len(profiles)
        return self.inner.recommend_many(profiles, query)

    def explain(self, *args: Any) -> Any:
        self.started.set()
        assert self.gate.wait(10)
        return self.inner.explain(*args)

    def close(self) -> None:
        self.closed = True

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


PROFILE = [ProfileEntry(100, 8), ProfileEntry(101, 7), ProfileEntry(102, 9)]


@pytest.fixture
def recommender(tmp_path: Path) -> Recommender:
    return Recommender.load(tiny_artifact(tmp_path / "m"))


async def test_running_calls_finish_on_the_old_model_new_ones_use_the_new(
    recommender: Recommender,
) -> None:
    old, new = Gated(recommender, "old"), Gated(recommender, "new")
    pool = RecommenderPool(old, threads=3, window=0)  # type: ignore[arg-type]
    try:
        old.gate.clear()
        running = asyncio.create_task(pool.recommend(PROFILE, RecommendationQuery(5)))
        explaining = asyncio.create_task(pool.run(old.explain, PROFILE, 105))
        await asyncio.to_thread(old.started.wait, 5)
        await asyncio.sleep(0.05)
        assert pool.swap(new) is old  # type: ignore[arg-type]
        after = await pool.recommend(PROFILE, RecommendationQuery(5))
        assert new.served == 1 and after
        assert pool.retiring == 1 and not old.closed, "still running on the old one"
        old.gate.set()
        assert await running and (await explaining).anime_id == 105
        assert old.served == 1
        assert pool.retiring == 0 and old.closed
        assert pool.generation == 1
    finally:
        old.gate.set()
        await pool.close()


async def test_an_idle_old_model_is_closed_at_once_and_freed(recommender: Recommender) -> None:
    old, new = Gated(recommender, "old"), Gated(recommender, "new")
    pool = RecommenderPool(old)  # type: ignore[arg-type]
    pool.swap(new)  # type: ignore[arg-type]
    assert old.closed and pool.retiring == 0 and pool.recommender is new
    del old  # the last reference: the pool's collection then frees it
    for _ in range(40):
        if pool.released:
            break
        await asyncio.sleep(0.05)
    assert pool.released == 1


@pytest.fixture
def catalog(sessions: async_sessionmaker[AsyncSession]) -> CatalogService:
    return CatalogService(sessions)


def promote(version: Path, link: Path) -> None:
    staged = link.with_name(link.name + ".new")
    staged.symlink_to(version.resolve(), target_is_directory=True)
    os.replace(staged, link)


async def test_watcher_follows_the_symlink_and_refuses_broken_files(
    tmp_path: Path, catalog: CatalogService, caplog: pytest.LogCaptureFixture
) -> None:
    v1 = tiny_artifact(tmp_path / "models" / "v1", n=20)
    v2 = tiny_artifact(tmp_path / "models" / "v2", n=30, seed=1)
    link = tmp_path / "model"
    link.symlink_to(v1, target_is_directory=True)
    pool = RecommenderPool(Recommender.load(link))
    watcher = ModelWatcher(link, pool, catalog, loaded=fingerprint(link))
    assert (await watcher.check()).outcome == "none"

    promote(v2, link)
    result = await watcher.check()
    assert result.outcome == "loaded" and result.n_items == 30 and result.new_titles == 30
    assert pool.recommender is not None and pool.recommender.n_items == 30
    assert catalog.known(129)

    broken = tmp_path / "models" / "v3"
    shutil.copytree(v2, broken)
    (broken / "config.json").write_text("{")
    promote(broken, link)
    assert (await watcher.check()).outcome == "refused"
    assert (await watcher.check()).outcome == "none", "the same broken files are not retried"
    assert pool.recommender.n_items == 30
    assert caplog.text.count("refused the model") == 1

    link.unlink()
    assert (await watcher.check()).outcome == "gone"
    assert pool.recommender is not None, "a path gone for a moment does not stop serving"
    await pool.close()


async def test_watcher_sees_a_directory_rewritten_in_place(
    tmp_path: Path, catalog: CatalogService
) -> None:
    path = tmp_path / "model"
    watcher = ModelWatcher(path, RecommenderPool(None), catalog, loaded=fingerprint(path))
    assert (await watcher.check()).outcome == "none"
    tiny_artifact(path, n=20)  # a bot started without a model gets one
    assert (await watcher.check()).outcome == "loaded"
    tiny_artifact(path, n=25, seed=2)  # older installs: the directory itself is rewritten
    result = await watcher.check()
    assert result.outcome == "loaded" and result.n_items == 25
    await watcher.pool.close()
