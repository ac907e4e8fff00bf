"""The recommender facade: a bounded pool, micro-batching, the no-model answer, and the
service's filters (media, NSFW, plan-to-watch, sharing) on a tiny random-weight model."""

from __future__ import annotations

import asyncio
import threading

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import Anime, LinkedAccount, ListEntry
from bot.services.accounts import AccountService
from bot.services.catalog import CatalogService
from bot.services.errors import EmptyProfile, NoModel, NotLinked, NotShared, TitleNotFound
from bot.services.guilds import GuildConfig
from bot.services.pool import RecommenderPool
from bot.services.recommendations import RecommendationService
from model import ProfileEntry, RecommendationQuery, Recommender
from tests.bot.artifacts import tiny_artifact, tiny_items


@pytest.fixture(scope="module")
def recommender(tmp_path_factory: pytest.TempPathFactory) -> Recommender:
    return Recommender.load(tiny_artifact(tmp_path_factory.mktemp("model") / "model"))


def profile(seed: int) -> list[ProfileEntry]:
    return [ProfileEntry(100 + (seed * 7 + j * 3) % 40, (seed + j) % 10 + 1) for j in range(5)]


class CountingRecommender:
    """The real recommender, counting ``recommend_many`` calls and the threads they run on."""

    def __init__(self, inner: Recommender) -> None:
        self.inner = inner
        self.calls: list[int] = []
        self.threads: set[str] = set()
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()

    def recommend_many(self, profiles, query):  # type: ignore[no-untyped-def]
        with self._lock:
            self.calls.append(len(profiles))
            self.threads.add(threading.current_thread().name)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            return self.inner.recommend_many(profiles, query)
        finally:
            with self._lock:
                self.in_flight -= 1

    def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
        return getattr(self.inner, name)


async def test_concurrent_calls_share_batches_and_match_single_calls(
    recommender: Recommender,
) -> None:
    counting = CountingRecommender(recommender)
    pool = RecommenderPool(counting, threads=2, max_batch=8)  # type: ignore[arg-type]
    try:
        profiles = [profile(i) for i in range(30)]
        results = await asyncio.gather(
            *(pool.recommend(p, RecommendationQuery(5)) for p in profiles)
        )
    finally:
        await pool.close()
    for p, got in zip(profiles, results, strict=True):
        want = recommender.recommend(p, RecommendationQuery(5))
        assert [r.anime_id for r in got] == [r.anime_id for r in want]
    assert sum(counting.calls) == 30
    assert len(counting.calls) < 30 and max(counting.calls) <= 8
    assert counting.max_in_flight <= 2
    assert all(name.startswith("recommender") for name in counting.threads)
    assert sorted(pool.batch_sizes) == sorted(counting.calls)


async def test_different_options_are_batched_apart(recommender: Recommender) -> None:
    pool = RecommenderPool(recommender, threads=1)
    try:
        tv, movies = await asyncio.gather(
            pool.recommend(profile(1), RecommendationQuery(5, media={"tv"})),
            pool.recommend(profile(1), RecommendationQuery(5, media={"movie"})),
        )
    finally:
        await pool.close()
    assert {recommender.item(r.anime_id)["media_type"] for r in tv} == {"tv"}
    assert {recommender.item(r.anime_id)["media_type"] for r in movies} == {"movie"}


async def test_no_model_answers_with_make_model() -> None:
    pool = RecommenderPool(None)
    assert not pool.available
    with pytest.raises(NoModel) as info:
        await pool.recommend(profile(0))
    assert "make model" in info.value.user_message


async def test_an_engine_error_reaches_every_caller_of_the_batch(
    recommender: Recommender,
) -> None:
    class Broken(CountingRecommender):
        def recommend_many(self, profiles, query):  # type: ignore[no-untyped-def]
            raise RuntimeError("boom")

    pool = RecommenderPool(Broken(recommender), threads=1)  # type: ignore[arg-type]
    try:
        results = await asyncio.gather(
            *(pool.recommend(profile(i)) for i in range(3)), return_exceptions=True
        )
        assert [type(r) for r in results] == [RuntimeError] * 3
        with pytest.raises(RuntimeError, match="boom"):  # later calls are served (and fail) too
            await pool.recommend(profile(4))
    finally:
        await pool.close()


@pytest.fixture
async def service(
    sessions: async_sessionmaker[AsyncSession], recommender: Recommender
) -> RecommendationService:
    catalog = CatalogService(sessions)
    items = tiny_items()
    await catalog.seed(items)
    async with sessions() as session, session.begin():
        # MAL rates every title safe but 101 (NSFW); 103's status is unknown (counts as NSFW
        # where NSFW is not allowed). Members 1 (sharing) and 2 (private) are linked.
        for item in items:
            row = await session.get(Anime, item["anime_id"])
            assert row is not None
            row.nsfw = {101: "black", 103: None}.get(item["anime_id"], "white")
        for user, share in ((1, True), (2, False), (3, False)):
            session.add(
                LinkedAccount(discord_user_id=user, mal_username=f"u{user}", share_opt_in=share)
            )
        await session.flush()
        for anime_id, score, status in (
            (100, 9, "completed"),
            (102, 7, "completed"),
            (104, 0, "plan_to_watch"),
            (106, 4, "dropped"),
        ):
            for user in (1, 2):
                session.add(
                    ListEntry(discord_user_id=user, anime_id=anime_id, score=score, status=status)
                )
        session.add(ListEntry(discord_user_id=3, anime_id=108, score=0, status="plan_to_watch"))
    await catalog.load()
    return RecommendationService(
        RecommenderPool(recommender, threads=1), AccountService(sessions), catalog
    )


async def test_service_filters_and_titles(service: RecommendationService) -> None:
    account = await service.accounts.require(1)
    result = await service.recommend(account, k=40)
    ids = [item.anime.anime_id for item in result.items]
    assert 101 not in ids and 103 not in ids  # NSFW and unknown status hidden by default
    assert not {100, 102, 104, 106} & set(ids)  # on the list, plan-to-watch excluded
    assert result.items[0].match == 1.0 and all(0 <= i.match <= 1 for i in result.items)
    assert result.items[0].anime.title.startswith("Tiny Anime")
    assert all(b.anime_id in {100, 102, 106} for i in result.items for b in i.because)

    nsfw_ok = await service.recommend(account, k=40, allow_nsfw=True, include_planned=True)
    ids = [item.anime.anime_id for item in nsfw_ok.items]
    assert 101 in ids and 103 in ids and 104 in ids
    assert [i.planned for i in nsfw_ok.items if i.anime.anime_id == 104] == [True]

    movies = await service.recommend(account, media="special", k=40)
    assert {i.anime.media_type for i in movies.items} <= {"special", "tv_special"}


async def test_why_similar_insights(service: RecommendationService) -> None:
    account = await service.accounts.require(1)
    why = await service.why(account, service.catalog.get(110))
    assert why.in_corpus and not why.on_list and why.rank is not None
    assert all(i.effect > 0 for i in why.pushes_up) and all(i.effect < 0 for i in why.pushes_down)
    influences = why.pushes_up + why.pushes_down
    assert influences
    explanation = service.pool.recommender.explain((await service._profile(account))[0], 110)
    for influence in influences:
        assert influence.share == pytest.approx(influence.effect / explanation.score)
    on_list = await service.why(account, service.catalog.get(100))
    assert on_list.on_list and on_list.user_score == 9 and on_list.surprise is not None

    similar = await service.similar(service.catalog.get(100), 5)
    assert similar.in_corpus and len(similar.items) == 5
    assert 100 not in [a.anime_id for a, _ in similar.items]
    assert 101 not in [a.anime_id for a, _ in similar.items]
    outside = await service.similar(service.catalog.get(99999), 5, allow_nsfw=True)
    assert not outside.in_corpus and outside.items == ()
    # a title the server may not see (NSFW, unknown status, unknown title) is not found
    for hidden in (101, 103, 99999):
        with pytest.raises(TitleNotFound):
            await service.similar(service.catalog.get(hidden), 5)
        with pytest.raises(TitleNotFound):
            await service.why(account, service.catalog.get(hidden))
    assert (await service.why(account, service.catalog.get(101), allow_nsfw=True)).in_corpus

    insights = await service.insights(account)
    assert insights is not None and insights.most_impactful


async def test_viewing_others_needs_sharing_and_server_consent(
    service: RecommendationService,
) -> None:
    open_server, closed_server = GuildConfig(), GuildConfig(members_can_view_others=False)
    assert (await service.viewable_account(2, 1, open_server)).discord_user_id == 1
    with pytest.raises(NotShared):
        await service.viewable_account(1, 2, open_server)
    with pytest.raises(NotShared):
        await service.viewable_account(2, 1, closed_server)
    with pytest.raises(NotLinked) as info:
        await service.viewable_account(1, 42, open_server)
    assert "That member" in info.value.user_message
    with pytest.raises(NotLinked):
        await service.viewable_account(42, 42, open_server)


async def test_a_list_of_only_plans_is_an_empty_profile(service: RecommendationService) -> None:
    with pytest.raises(EmptyProfile):
        await service.recommend(await service.accounts.require(3))
