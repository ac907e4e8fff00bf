"""Live model swap through the fake Discord: ``python -m training promote``'s layout (MODEL_PATH a
symlink replaced with ``os.replace``) while ``/recommend`` requests are in flight; no command
fails, and answers after the swap come from the new model, whose new titles the catalog knows."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
from pathlib import Path
from typing import Any

from fakes.discord.catalog import CATALOG, SAMPLE_LIST, Anime
from fakes.discord.stack import build_tiny_model
from tests.e2e.conftest import BotFactory, World

MAL_ID = re.compile(r"myanimelist\.net/anime/(\d+)")
ON_ALICES_LIST = {anime_id for anime_id, _, _ in SAMPLE_LIST}
# The new model knows Alice's titles and ten titles the old one never saw: every title it can
# recommend her is one of the new ones.
FRESH = tuple(Anime(90_000 + i, f"Fresh Title {i}") for i in range(10))
NEW_CORPUS = (*(a for a in CATALOG if a.anime_id in ON_ALICES_LIST), *FRESH)
FRESH_IDS = {a.anime_id for a in FRESH}


def listed_ids(text_or_result: Any) -> set[int]:
    embed = text_or_result.embed
    assert embed is not None, text_or_result.text
    return {int(m.group(1)) for f in embed.get("fields", []) if (m := MAL_ID.search(f["value"]))}


def promote(version: Path, model_path: Path) -> None:
    """What ``python -m training promote`` does: a new symlink renamed over MODEL_PATH."""
    staged = model_path.with_name(model_path.name + ".new")
    staged.symlink_to(version.resolve(), target_is_directory=True)
    os.replace(staged, model_path)


async def wait_for(predicate: Any, within: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.05)


def versions(tmp_path: Path, old_model: Path) -> tuple[Path, Path, Path]:
    models = tmp_path / "models"
    models.mkdir()
    v1 = models / "v1"
    shutil.copytree(old_model, v1)
    v2 = build_tiny_model(models / "v2", NEW_CORPUS, seed=3)
    link = tmp_path / "model"
    link.symlink_to(v1, target_is_directory=True)
    return link, v1, v2


async def test_promoted_model_is_served_without_restart(
    world: World, start_bot: BotFactory, tmp_path: Path, model_path: Path
) -> None:
    link, _, v2 = versions(tmp_path, model_path)
    bot = await start_bot(model_path=link, model_watch_seconds=0.1)
    services = bot.services
    services.cooldowns["recommend"] = (0, 0.0)  # a busy member, not a cool-down, is tested
    # The fresh titles have no MAL details yet (NSFW unknown counts as NSFW): allowed here,
    # this test is about the swap.
    await world.slash(world.admin, "config", allow_nsfw=True)
    await world.slash(world.alice, "link", username="alice_mal")
    before = await world.slash(world.alice, "recommend", count=5)
    assert listed_ids(before) and not listed_ids(before) & FRESH_IDS
    assert not services.catalog.known(90_000)

    # Requests keep arriving on both sides of the swap.
    stop = asyncio.Event()
    results: list[Any] = []

    async def member_traffic() -> None:
        while not stop.is_set():
            results.extend(
                await asyncio.gather(
                    *(world.slash(world.alice, "recommend", count=5) for _ in range(3))
                )
            )

    traffic = asyncio.create_task(member_traffic())
    await wait_for(lambda: len(results) >= 3)
    promote(v2, link)
    await wait_for(lambda: services.model_watcher.swaps == 1)
    # Two more rounds that started after the swap, whatever the machine's speed.
    swapped_at = len(results)
    await wait_for(lambda: len(results) >= swapped_at + 6, within=30)
    stop.set()
    await traffic

    assert len(results) >= 6
    for result in results:
        assert result.embed is not None, f"a /recommend failed during the swap: {result.text}"
    answered_by_new = [bool(listed_ids(r) & FRESH_IDS) for r in results]
    assert any(answered_by_new) and not all(answered_by_new), "traffic on both sides of it"
    after = await world.slash(world.alice, "recommend", count=5)
    assert listed_ids(after) and listed_ids(after) <= FRESH_IDS, after.text
    assert services.pool.recommender.n_items == len(NEW_CORPUS)
    assert services.catalog.known(90_000) and "Fresh Title" in after.text
    # The old model is let go once its calls returned, and its memory freed.
    await wait_for(lambda: services.pool.retiring == 0 and services.pool.released == 1)


async def test_broken_model_is_refused_and_a_model_appears_later(
    world: World, start_bot: BotFactory, tmp_path: Path, model_path: Path, caplog: Any
) -> None:
    link = tmp_path / "model"  # nothing there: the bot starts without a model
    bot = await start_bot(model_path=link, model_watch_seconds=0.1)
    services = bot.services
    await world.slash(world.alice, "link", username="alice_mal")
    none = await world.slash(world.alice, "recommend")
    assert none.ephemeral and "make model" in none.text, none.text

    models = tmp_path / "models"
    broken = models / "broken"
    shutil.copytree(model_path, broken)
    (broken / "corpus_ids.npy").write_bytes(b"truncated")
    promote(broken, link)
    await wait_for(lambda: "refused the model" in caplog.text)
    await asyncio.sleep(0.3)  # a few more looks: refused once, not again and again
    assert caplog.text.count("refused the model") == 1
    assert services.pool.recommender is None

    good = models / "good"
    shutil.copytree(model_path, good)
    promote(good, link)
    await wait_for(lambda: services.pool.recommender is not None)
    recs = await world.slash(world.alice, "recommend", count=3)
    assert recs.embed is not None and len(listed_ids(recs)) == 3, recs.text
