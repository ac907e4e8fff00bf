"""Group picks (``/together``) and member feedback, on a tiny random-weight model and the real
migrated database: who takes part, what is left out, the "average without misery" order, and
feedback's effect on profiles and recommendations."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import Anime, LinkedAccount, ListEntry
from bot.services.accounts import AccountService
from bot.services.catalog import CatalogService
from bot.services.errors import EmptyProfile, NotLinked
from bot.services.feedback import LIKED, LIKED_SCORE, NOT_INTERESTED, SEEN, UnknownFeedback
from bot.services.guilds import GuildConfig
from bot.services.pool import RecommenderPool
from bot.services.recommendations import RecommendationService
from bot.services.together import (
    MISERY_FLOOR,
    GroupTooSmall,
    Invitee,
    TogetherService,
    left_out_sentence,
    own_tops,
    rank_group,
)
from model import Recommender
from model.recommender import Target
from tests.bot.artifacts import tiny_artifact, tiny_items

SHARED = GuildConfig(members_can_view_others=True)
# Members: 1 ann (caller), 2 bo (shares), 3 cy (shares), 4 di (private), 6 eve (shares, empty).
LISTS = {
    1: ((100, 9, "completed"), (102, 7, "completed"), (104, 0, "plan_to_watch")),
    2: ((106, 8, "completed"), (108, 4, "dropped"), (110, 6, "watching")),
    3: ((112, 10, "completed"), (114, 5, "on_hold")),
    4: ((116, 8, "completed"),),
    6: ((118, 0, "plan_to_watch"),),
}


@pytest.fixture(scope="module")
def recommender(tmp_path_factory: pytest.TempPathFactory) -> Recommender:
    return Recommender.load(tiny_artifact(tmp_path_factory.mktemp("model") / "model"))


@pytest.fixture
async def service(
    sessions: async_sessionmaker[AsyncSession], recommender: Recommender
) -> TogetherService:
    catalog = CatalogService(sessions)
    await catalog.seed(tiny_items())
    async with sessions() as session, session.begin():
        # MAL rates every title safe but 101 (an unknown status would count as NSFW too)
        for item in tiny_items():
            row = await session.get(Anime, item["anime_id"])
            assert row is not None
            row.nsfw = "black" if item["anime_id"] == 101 else "white"
        for user in LISTS:
            session.add(
                LinkedAccount(discord_user_id=user, mal_username=f"u{user}", share_opt_in=user != 4)
            )
        await session.flush()
        for user, entries in LISTS.items():
            for anime_id, score, status in entries:
                session.add(
                    ListEntry(discord_user_id=user, anime_id=anime_id, score=score, status=status)
                )
    await catalog.load()
    recommendations = RecommendationService(
        RecommenderPool(recommender, threads=1), AccountService(sessions), catalog
    )
    return TogetherService(recommendations)


def who(user: int, name: str, **kw: bool) -> Invitee:
    return Invitee(user, name, **kw)


def test_rank_group_is_mean_with_a_misery_floor() -> None:
    # Title 1: best mean but cy is miserable; 2 and 3 satisfy everyone; 4 unknown to one member.
    scores = [[9.9, 7.0, 8.0, 9.0], [9.9, 7.5, 7.0, None], [4.0, 7.0, 7.0, 9.0]]
    ranked = rank_group([1, 2, 3, 4], scores, k=10)
    assert [r[0] for r in ranked] == [3, 2, 1]
    assert ranked[0][1] == pytest.approx(22 / 3) and ranked[0][2] == (8.0, 7.0, 7.0)
    assert [r[3] for r in ranked] == [False, False, True]
    assert rank_group([1, 2, 3], [s[:3] for s in scores], k=1)[0][0] == 3
    assert MISERY_FLOOR == 6.0


async def test_group_picks_none_has_watched_ranked_by_mean(
    service: TogetherService, recommender: Recommender
) -> None:
    result = await service.picks(who(1, "ann"), [who(2, "bo"), who(3, "cy")], SHARED, k=10)
    assert [m.name for m in result.members] == ["ann", "bo", "cy"]
    ids = [i.anime.anime_id for i in result.items]
    assert len(ids) == 10 and len(set(ids)) == 10
    on_any_list = {a for entries in LISTS.values() for a, _, _ in entries} - {118}
    assert not set(ids) & on_any_list, "nobody's list titles (plan-to-watch too) are picked"
    assert 101 not in ids, "NSFW stays out where the server has not allowed it"
    # Each member's line is that member's own predicted score, as the model gives it alone.
    profiles = [await service.accounts.profile(u) for u in (1, 2, 3)]
    for item in result.items:
        for profile, shown in zip(profiles, item.scores, strict=True):
            (target,) = recommender.targets(profile, [item.anime.anime_id])
            assert target is not None and shown == pytest.approx(target["predicted_score"])
        assert item.mean == pytest.approx(sum(item.scores) / 3)
    keys = [(i.below_floor, -i.mean) for i in result.items]
    assert keys == sorted(keys), "floor first, then mean"

    movies = await service.picks(who(1, "ann"), [who(2, "bo")], SHARED, k=10, media="movie")
    assert movies.items and {i.anime.media_type for i in movies.items} == {"movie"}
    planned = await service.picks(who(1, "ann"), [who(2, "bo")], SHARED, k=40, include_planned=True)
    assert 104 in {i.anime.anime_id for i in planned.items}


async def test_who_is_left_out_and_when_the_group_is_refused(service: TogetherService) -> None:
    result = await service.picks(
        who(1, "ann"),
        [
            who(2, "bo"),
            who(4, "di"),
            who(5, "nobody"),
            who(6, "eve"),
            who(7, "outsider", in_server=False),
            who(8, "robot", is_bot=True),
            who(1, "ann again"),
            who(2, "bo again"),
        ],
        SHARED,
        k=5,
    )
    assert [m.name for m in result.members] == ["ann", "bo"]
    assert left_out_sentence(result.left_out) == (
        "Left out: di (does not share their recommendations), nobody (has not linked a list), "
        "eve (has no titles the model can use yet), outsider (is not in this server), "
        "robot (is a bot)."
    )
    with pytest.raises(GroupTooSmall) as refused:
        await service.picks(who(1, "ann"), [who(4, "di")], SHARED, k=5)
    assert "di (does not share" in refused.value.user_message
    with pytest.raises(GroupTooSmall):  # the server does not let members view each other
        await service.picks(
            who(1, "ann"), [who(2, "bo")], GuildConfig(members_can_view_others=False), k=5
        )
    with pytest.raises(NotLinked):
        await service.picks(who(5, "nobody"), [who(1, "ann")], SHARED, k=5)
    with pytest.raises(EmptyProfile):
        await service.picks(who(6, "eve"), [who(1, "ann")], SHARED, k=5)


async def test_feedback_shapes_profiles_and_recommendations(service: TogetherService) -> None:
    accounts, recommendations = service.accounts, service.recommendations
    feedback = accounts.feedback
    ann = await accounts.require(1)
    first = [i.anime.anime_id for i in (await recommendations.recommend(ann, k=40)).items]
    dull, seen, liked = first[0], first[1], first[2]

    assert await feedback.mark(1, [dull], NOT_INTERESTED) == 1
    assert await feedback.mark(1, [seen], SEEN) == 1
    assert await feedback.mark(1, [liked, 102], LIKED) == 2  # 102 is on her list already
    assert await feedback.mark(1, [liked], LIKED) == 0  # nothing new
    with pytest.raises(UnknownFeedback):
        await feedback.mark(1, [dull], "meh")
    with pytest.raises(NotLinked):
        await feedback.mark(5, [dull], SEEN)

    profile = {e.anime_id: e for e in await accounts.profile(1)}
    assert (profile[seen].score, profile[seen].status) == (0, "completed")
    assert (profile[liked].score, profile[liked].status) == (LIKED_SCORE, "completed")
    assert profile[102].score == 7, "the list's own entry wins"
    assert dull not in profile, "not interested is not watched"
    assert (await accounts.stats(1)).entries == 3, "the list's counts are the list's"

    after = [i.anime.anime_id for i in (await recommendations.recommend(ann, k=40)).items]
    assert not {dull, seen, liked} & set(after)
    group = await service.picks(who(2, "bo"), [who(1, "ann")], SHARED, k=40)
    assert not {dull, seen, liked} & {i.anime.anime_id for i in group.items}

    marks = await feedback.of(1)
    assert {m.anime_id: m.kind for m in marks} == {
        dull: NOT_INTERESTED,
        seen: SEEN,
        liked: LIKED,
        102: LIKED,
    }
    assert await feedback.mark(1, [dull], SEEN) == 1, "a new kind replaces the old"
    assert await feedback.undo(1, [dull, seen, 999]) == 2
    undone = [i.anime.anime_id for i in (await recommendations.recommend(ann, k=40)).items]
    assert {dull, seen} <= set(undone) and liked not in undone

    assert await accounts.unlink(1)
    assert await feedback.of(1) == []


async def test_candidates_are_each_members_likeliest_titles(
    service: TogetherService, recommender: Recommender
) -> None:
    """The candidates are the union of each member's 50 likeliest titles (presence) among
    those nobody has on their list; with k as large, all of them are picked."""
    result = await service.picks(who(1, "ann"), [who(2, "bo")], SHARED, k=40)
    excluded = {a for u in (1, 2) for a, _, _ in LISTS[u]} | {101}
    allowed = [int(a) for a in recommender.corpus_ids if int(a) not in excluded]
    union: set[int] = set()
    for user in (1, 2):
        found = recommender.targets(await service.accounts.profile(user), allowed)
        likeliest = sorted(
            (t for t in found if t is not None), key=lambda t: (-t["presence"], t["anime_id"])
        )
        union |= {t["anime_id"] for t in likeliest[:50]}
    assert {i.anime.anime_id for i in result.items} == union


def test_own_tops_is_each_members_likeliest_in_turn() -> None:
    def t(anime_id: int, presence: float) -> Target:
        return {"anime_id": anime_id, "presence": presence, "predicted_score": 7.0}

    targets = [[t(7, 0.1), t(8, 0.5), t(9, 0.3)], [t(7, 0.9), None, t(9, 0.2)]]
    assert own_tops([7, 8, 9], targets, 1) == [8, 7]
    assert own_tops([7, 8, 9], targets, 2) == [8, 9, 7]
    assert own_tops([7, 8, 9], targets, 0) == []
