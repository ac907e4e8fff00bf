"""The per-member answer cache and its warm-up: an answer is reused only while the model, the
list, the marks and the query are what it was computed from; a warm-up waits for an idle pool."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import ListEntry
from bot.services.feedback import NOT_INTERESTED
from bot.services.listchanges import ListChanges
from bot.services.reccache import AnswerCache, Prefetcher
from bot.services.recommendations import RecommendationService
from common.mal.models import AlternativeTitles, MalAnime
from model import Recommender
from tests.bot.test_recommendations import recommender, service  # noqa: F401  (fixtures)


async def drained(warmed: RecommendationService) -> None:
    """Wait (bounded, 4 s) until no warm-up is queued or running."""
    for _ in range(200):
        if warmed.prefetcher.queued == 0:
            return
        await asyncio.sleep(0.02)


def ids(result) -> list[int]:  # type: ignore[no-untyped-def]
    return [item.anime.anime_id for item in result.items]


def test_cache_keeps_the_last_answer_per_member_within_its_size() -> None:
    cache = AnswerCache(2)
    cache.put(1, "a", [])
    cache.put(2, "b", [])
    assert cache.get(1, "a") == [] and cache.get(1, "other") is None
    cache.put(3, "c", [])  # member 2 was used least recently
    assert cache.get(2, "b") is None and cache.get(1, "a") == [] and len(cache) == 2
    cache.forget(1)
    assert cache.get(1, "a") is None
    assert (cache.hits, cache.misses) == (2, 3)
    empty = AnswerCache(0)
    empty.put(1, "a", [])
    assert empty.get(1, "a") is None and len(empty) == 0


async def test_an_answer_is_reused_until_what_it_depends_on_changes(
    service: RecommendationService,  # noqa: F811
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    service.prefetch = False  # no warm-up after the swap below: the model runs only when asked
    account = await service.accounts.require(1)
    first = await service.recommend(account, k=10)
    batches = len(service.pool.batch_sizes)
    again = await service.recommend(account, k=10)
    assert ids(again) == ids(first) and service.answers.hits == 1
    assert len(service.pool.batch_sizes) == batches  # the model did not run again

    # Another query, a new mark, a changed list, a swapped model: each is a new answer.
    await service.recommend(account, k=10, allow_nsfw=True)
    assert len(service.pool.batch_sizes) == batches + 1
    top = ids(first)[0]
    await service.accounts.feedback.mark(1, [top], NOT_INTERESTED)
    marked = await service.recommend(account, k=10)
    assert top not in ids(marked) and len(service.pool.batch_sizes) == batches + 2
    async with sessions() as session, session.begin():
        await session.execute(
            delete(ListEntry).where(ListEntry.discord_user_id == 1, ListEntry.anime_id == 102)
        )
    shorter = await service.recommend(account, k=10)
    assert len(service.pool.batch_sizes) == batches + 3
    assert shorter.known_count == (marked.known_count or 0) - 1
    service.pool.swap(service.pool.recommender)
    await service.recommend(account, k=10)
    assert len(service.pool.batch_sizes) == batches + 4
    assert service.answers.hits == 1


async def test_a_warm_up_fills_the_cache_for_the_default_recommend(
    service: RecommendationService,  # noqa: F811
) -> None:
    service.prefetcher.batch = 1  # the test's sessions share one connection: one at a time
    service.warm_up(1, allow_nsfw=False)
    service.warm_up(424242, allow_nsfw=False)  # not linked: skipped, nothing breaks
    await drained(service)
    assert service.prefetcher.queued == 0 and service.prefetcher.done == 1
    account = await service.accounts.require(1)
    batches = len(service.pool.batch_sizes)
    result = await service.recommend(account)
    assert result.items and service.answers.hits == 1
    assert len(service.pool.batch_sizes) == batches


async def test_warm_ups_wait_while_the_model_is_busy(recommender: Recommender) -> None:  # noqa: F811
    busy = True
    warmed: list[int] = []

    async def warm(member: int, allow_nsfw: bool) -> bool:
        warmed.append(member)
        return True

    prefetcher = Prefetcher(warm, lambda: not busy, batch=2, poll=0.01)
    for member in (1, 2, 3, 1):
        prefetcher.add(member, False)
    assert prefetcher.queued == 3  # member 1 keeps one place
    await asyncio.sleep(0.1)
    assert warmed == []  # the pool is busy: a member waiting for an answer goes first
    busy = False
    for _ in range(100):
        if prefetcher.queued == 0:
            break
        await asyncio.sleep(0.01)
    assert warmed == [1, 2, 3] and prefetcher.done == 3
    await prefetcher.close()


@pytest.mark.parametrize("size", [0])
async def test_no_cache_means_no_warm_up(
    service: RecommendationService,  # noqa: F811
    size: int,
) -> None:
    plain = RecommendationService(service.pool, service.accounts, service.catalog, cache_size=size)
    plain.warm_up(1, allow_nsfw=False)
    assert plain.prefetcher.queued == 0 and not plain.prefetch
    account = await plain.accounts.require(1)
    await plain.recommend(account, k=5)
    await plain.recommend(account, k=5)
    assert plain.answers.hits == 0 and len(plain.answers) == 0


async def test_a_swap_warms_the_kept_answers_again(
    service: RecommendationService,  # noqa: F811
) -> None:
    account = await service.accounts.require(1)
    await service.recommend(account)
    service.pool.swap(service.pool.recommender)  # e.g. the catalog grew: a new generation
    assert service.prefetcher.queued == 1
    await drained(service)
    batches = len(service.pool.batch_sizes)
    await service.recommend(account)
    assert service.answers.hits == 1 and len(service.pool.batch_sizes) == batches


async def test_a_changed_nsfw_status_warms_the_kept_answers_again(
    service: RecommendationService,  # noqa: F811
) -> None:
    """A kept answer was computed without the titles then not known safe: once MAL's details
    settle one (103 was unknown), the answer is computed again, and the title may show."""
    account = await service.accounts.require(1)
    before = await service.recommend(account, k=40)
    assert 103 not in ids(before)
    await service.catalog.store_details(
        MalAnime(103, "Tiny Anime 103", AlternativeTitles(), None, "tv", (),
                 None, 10, "white", None, 12)
    )  # fmt: skip
    assert service.prefetcher.queued == 1
    await drained(service)
    after = await service.recommend(account, k=40)
    assert 103 in ids(after) and service.answers.hits == 0


async def test_a_changed_list_warms_the_members_kept_answer_again(
    service: RecommendationService,  # noqa: F811
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """A refreshed list (announced by the sync, :mod:`bot.services.listchanges`) gets its
    answer computed in the background: the member's next /recommend is a hit on the new list.
    A member this process keeps no answer of is left alone."""
    account = await service.accounts.require(1)
    before = await service.recommend(account)
    async with sessions() as session, session.begin():
        await session.execute(
            delete(ListEntry).where(ListEntry.discord_user_id == 1, ListEntry.anime_id == 102)
        )
    service.profile_changed(2)  # never asked for here: nothing to warm
    assert service.prefetcher.queued == 0
    service.profile_changed(1)
    assert service.prefetcher.queued == 1
    await drained(service)
    batches = len(service.pool.batch_sizes)
    after = await service.recommend(account)
    assert service.answers.hits == 1 and len(service.pool.batch_sizes) == batches
    assert after.known_count == (before.known_count or 0) - 1, "the answer for the new list"


async def test_new_marks_warm_the_members_answer_again(
    service: RecommendationService,  # noqa: F811
) -> None:
    """A "Not interested" mark (or an undone one) changes the profile: the answer is computed
    again in the background, without the title; a mark that changes nothing warms nothing."""
    service.prefetcher.batch = 1  # the test's sessions share one connection: one at a time
    feedback = service.accounts.feedback
    heard: list[int] = []
    changes = ListChanges()
    changes.subscribers += [heard.append, service.profile_changed]
    feedback.on_change = changes.committed  # as bot.app wires it
    account = await service.accounts.require(1)
    top = ids(await service.recommend(account))[0]  # the default query, as warmed
    assert await feedback.mark(1, [top], NOT_INTERESTED) == 1
    assert heard == [1] and service.prefetcher.queued == 1
    await drained(service)
    batches = len(service.pool.batch_sizes)
    marked = await service.recommend(account)
    assert top not in ids(marked) and len(service.pool.batch_sizes) == batches
    assert await feedback.mark(1, [top], NOT_INTERESTED) == 0 and heard == [1]
    assert await feedback.undo(1, [top]) == 1 and heard == [1, 1]
    assert service.prefetcher.queued == 1
    await service.prefetcher.close()  # before the test's connection goes
