"""A member's journey through the real bot: link → recommend → why → unlink, pages, sharing,
autocomplete and admin settings, all through the fake Discord and the fake MAL."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest

from bot.views import RecommendationPager
from fakes.discord import InteractionResult
from fakes.discord.catalog import CATALOG, SAMPLE_LIST
from tests.e2e.conftest import BotFactory, World

MAL_ID = re.compile(r"myanimelist\.net/anime/(\d+)")
ON_ALICES_LIST = {anime_id for anime_id, _, _ in SAMPLE_LIST}
MOVIES = {a.anime_id for a in CATALOG if a.media_type == "movie"}


def listed_ids(result: InteractionResult) -> list[int]:
    """The MAL ids of the recommended titles, in the order the embed lists them."""
    assert result.embed is not None, result.text
    return [
        int(m.group(1))
        for field in result.embed.get("fields", [])
        if (m := MAL_ID.search(field["value"]))
    ]


def page(result: InteractionResult) -> tuple[int, int]:
    found = re.search(r"Page (\d+)/(\d+)", result.text)
    assert found is not None, result.text
    return int(found.group(1)), int(found.group(2))


async def test_link_recommend_why_unlink(world: World, bot: object) -> None:
    linked = await world.slash(world.alice, "link", username="alice_mal")
    assert linked.callback == "defer" and linked.ephemeral
    assert "alice" in linked.text and "**14** entries" in linked.text, linked.text
    assert "**11** scored" in linked.text

    recs = await world.slash(world.alice, "recommend", count=5)
    assert recs.callback == "defer" and not recs.ephemeral
    ids = listed_ids(recs)
    assert len(ids) == 5 and len(set(ids)) == 5
    assert not set(ids) & ON_ALICES_LIST, "titles on her list (planned ones too) are excluded"
    assert recs.text.count("predicted") >= 5
    assert "Because you watched" in recs.text
    assert recs.embed and recs.embed.get("thumbnail", {}).get("url"), "cover art of the first"
    assert page(recs)[0] == 1

    # /why on the top recommendation: the bot must rank it first, with its list's reasons.
    top = next(a for a in CATALOG if a.anime_id == ids[0])
    choices = await world.autocomplete(world.alice, "why", "title", top.title[:10])
    assert str(top.anime_id) in [c["value"] for c in choices], choices
    why = await world.slash(world.alice, "why", title=str(top.anime_id))
    assert not why.ephemeral
    assert "Rank **#1**" in why.text, why.text
    assert "Predicted score" in why.text
    assert "Pushes it up" in why.text or "Pulls it down" in why.text

    # On her list and scored: the reply is about her own score (10 for FMA:B).
    own = await world.slash(world.alice, "why", title="5114")
    assert "10" in own.text and "Fullmetal Alchemist: Brotherhood" in own.text, own.text

    unlink = await world.slash(world.alice, "unlink")
    assert unlink.ephemeral and {"Unlink", "Cancel"} <= {b["label"] for b in unlink.buttons()}
    refused = await world.click(unlink, "Unlink", world.bob)
    assert refused.ephemeral and "belong to the member" in refused.text
    done = await world.click(unlink, "Unlink", world.alice)
    assert done.callback == "deferred update"  # acknowledged before the database work
    assert "14 stored entries were deleted" in done.text, done.text
    assert done.buttons() == [], "the confirmation's buttons are gone"

    after = await world.slash(world.alice, "recommend")
    assert after.ephemeral and "/link" in after.text, after.text


async def test_pages_turn_only_for_the_caller(world: World, bot: object) -> None:
    await world.slash(world.alice, "link", username="alice_mal")
    first = await world.slash(world.alice, "recommend", count=3)
    first_ids = listed_ids(first)
    number, pages = page(first)
    assert number == 1 and pages > 2
    buttons = {b["label"]: b for b in first.buttons()}
    assert buttons["Prev"].get("disabled") and not buttons["Next"].get("disabled")

    refused = await world.click(first, "Next", world.bob)
    assert refused.ephemeral and "belong to the member" in refused.text
    assert listed_ids(first) == first_ids and page(first)[0] == 1, "bob changed nothing"

    second = await world.click(first, "Next", world.alice)
    assert second.callback == "update message" and second.message is first.message
    assert page(second) == (2, pages)
    second_ids = listed_ids(second)
    assert len(second_ids) == 3 and not set(second_ids) & set(first_ids)
    assert not {b["label"]: b for b in second.buttons()}["Prev"].get("disabled")

    back = await world.click(first, "Prev", world.alice)
    assert page(back) == (1, pages) and listed_ids(back) == first_ids


async def test_autocomplete_forgives_typos_and_knows_other_titles(
    world: World, start_bot: BotFactory
) -> None:
    # English titles and synonyms come from MAL: the background refresh fills the catalog.
    await start_bot(refresh_interval_minutes=0.01)

    async def values(typed: str) -> list[str]:
        return [c["value"] for c in await world.autocomplete(world.bob, "why", "title", typed)]

    for _ in range(100):
        if "16498" in await values("attack on titan"):  # English title
            break
        await asyncio.sleep(0.2)
    else:
        raise AssertionError("English titles never became searchable")
    assert {"5114", "121"} <= set(await values("fullmetal"))
    assert "5114" in await values("fulmetal alchemst brotherhod")
    assert "5114" in await values("FMAB")  # synonym
    assert "199" in await values("spirited")
    assert await values("   ") == []

    similar = await world.slash(world.bob, "similar", title="5114")
    assert "Similar to Fullmetal Alchemist: Brotherhood" in similar.text, similar.text
    related = [int(m) for m in MAL_ID.findall(similar.text)]
    assert len(related) >= 5 and 5114 not in related[1:]


async def test_media_filter_and_sharing_with_other_members(world: World, bot: object) -> None:
    await world.slash(world.alice, "link", username="alice_mal")
    movies = await world.slash(world.alice, "recommend", media="movie", count=5)
    ids = listed_ids(movies)
    assert ids and set(ids) <= MOVIES, ids

    await world.slash(world.bob, "link", username="bob_mal")
    refused = await world.slash(world.bob, "recommend", member=world.alice)
    assert refused.ephemeral and "not chosen to share" in refused.text, refused.text

    profile = await world.slash(world.alice, "profile")
    assert profile.ephemeral and "14" in profile.text
    shared = await world.click(profile, "Share my recommendations", world.alice)
    assert any("can now see your recommendations" in m.text() for m in shared.messages)

    seen = await world.slash(world.bob, "recommend", member=world.alice, count=4)
    assert "Recommendations for alice" in seen.text
    assert not set(listed_ids(seen)) & ON_ALICES_LIST, "alice's list, not bob's"


async def test_server_settings_are_for_admins(world: World, bot: object) -> None:
    with pytest.raises(PermissionError):  # Discord hides /config from ordinary members
        await world.slash(world.alice, "config", default_count=4)
    changed = await world.slash(world.admin, "config", default_count=4)
    assert changed.ephemeral and "updated" in changed.text

    await world.slash(world.alice, "link", username="alice_mal")
    recs = await world.slash(world.alice, "recommend")
    assert len(listed_ids(recs)) == 4, "the server's default count per page"
    rtt = await world.discord.ping()
    assert rtt < 2.0, "the bot's event loop answers the gateway"
    assert not world.discord.unhandled, world.discord.unhandled


async def test_dev_guild_commands_answer_in_that_guild(world: World, start_bot: BotFactory) -> None:
    await start_bot(dev_guild_id=world.guild.id)
    assert set(world.discord.commands[world.guild.id]) >= {"link", "recommend", "why"}
    await world.slash(world.alice, "link", username="alice_mal")
    recs = await world.slash(world.alice, "recommend", count=2)
    assert len(listed_ids(recs)) == 2


async def test_concurrent_members_are_all_answered(world: World, bot: object) -> None:
    """Ten members link at once (concurrent SQLite writers), then all ask at once (the pool's
    micro-batching); every interaction is acknowledged within Discord's 3 s and answered."""
    members = [world.discord.add_member(world.guild, f"fan{i}") for i in range(10)]
    for i, _ in enumerate(members):
        world.mal.add_user(f"fan{i}_mal", SAMPLE_LIST[i % 4 : i % 4 + 8])
    linked = await asyncio.gather(
        *(world.slash(m, "link", username=f"fan{i}_mal") for i, m in enumerate(members))
    )
    assert all("**8** entries" in res.text for res in linked), [r.text for r in linked]
    recs = await asyncio.gather(*(world.slash(m, "recommend", count=3) for m in members))
    for res, member in zip(recs, members, strict=True):
        assert f"Recommendations for {member.user.username}" in res.text, res.text
        assert len(listed_ids(res)) == 3
        assert res.ack_s is not None and res.ack_s < 3.0


@pytest.mark.parametrize("member_shares", [False, True])
async def test_recommend_buttons_disabled_when_the_view_times_out(
    world: World, bot: Any, member_shares: bool
) -> None:
    """A pager that times out disables its buttons on the member's message (own list: the
    feedback pager; another member's: the plain one)."""
    await world.slash(world.alice, "link", username="alice_mal")
    if member_shares:  # bob views alice's list: a plain pager, not the feedback menus
        await world.slash(world.bob, "link", username="bob_mal")
        profile = await world.slash(world.alice, "profile")
        await world.click(profile, "Share my recommendations", world.alice)
        recs = await world.slash(world.bob, "recommend", count=3, member=world.alice)
    else:
        recs = await world.slash(world.alice, "recommend", count=3)
    assert recs.buttons() and not all(b.get("disabled") for b in recs.buttons())
    # discord.py's store of live views (private; the timeout itself would take 10 minutes).
    store = bot._connection._view_store._views
    views = {item.view for items in store.values() for item in items.values()}
    pagers = [v for v in views if isinstance(v, RecommendationPager)]
    assert len(pagers) == 1, views
    await pagers[0].on_timeout()
    assert all(b.get("disabled") for b in recs.buttons()), recs.buttons()


async def test_http_connections_to_discord_are_bounded_above_the_shards(bot: Any) -> None:
    """discord.py's own default is unbounded (a burst opened hundreds of connections at once);
    the shards' websockets come on top of the bound, so no shard waits for an HTTP slot."""
    limit = bot.http.connector.limit
    expected = bot.services.settings.discord_http_connections + len(bot.shard_plan.ids)
    assert limit == expected and bot.services.settings.discord_http_connections == 32
    info = await bot.application_info()  # requests go through the bounded connector
    assert info.id == bot.application_id
