"""/link site:anilist and site:kitsu through the fake Discord, the real bot and the real AniList
and Kitsu clients against their fakes; one list per member, replaced after a confirm."""

from __future__ import annotations

from typing import Any

from fakes.anilist import rows_from_mal as anilist_rows
from fakes.discord.catalog import SAMPLE_LIST
from fakes.kitsu import rows_from_mal as kitsu_rows
from tests.e2e.conftest import BOB_LIST, BotFactory, World
from tests.e2e.test_outages import wait_rounds


async def test_link_anilist_and_kitsu_then_recommend(world: World, bot: object) -> None:
    linked = await world.slash(world.alice, "link", username="aliceani", site="anilist")
    assert linked.ephemeral and "Linked to AliceAni on AniList" in linked.text, linked.text
    assert f"**{len(SAMPLE_LIST)}** entries" in linked.text, linked.text
    assert "1 title has no MyAnimeList id on AniList yet" in linked.text, linked.text

    kitsu = await world.slash(world.bob, "link", username="bob-kitsu", site="kitsu")
    assert kitsu.ephemeral and "Linked to Bob K on Kitsu" in kitsu.text, kitsu.text
    assert f"**{len(BOB_LIST)}** entries" in kitsu.text, kitsu.text

    for member in (world.alice, world.bob):
        recs = await world.slash(member, "recommend", count=3)
        assert recs.embed is not None and "Recommendations for" in recs.text, recs.text
    profile = await world.slash(world.alice, "profile")
    assert "on AniList" in profile.text and "anilist.co/user/AliceAni" in profile.text
    assert "1 more without a MyAnimeList id" in profile.text, profile.text

    refreshed = await world.slash(world.bob, "refresh")
    assert "Refreshed Bob K" in refreshed.text, refreshed.text


async def test_private_and_unknown_accounts_on_other_sites(world: World, bot: object) -> None:
    private = await world.slash(world.carol, "link", username="ShyAni", site="anilist")
    assert private.ephemeral and "AniList profile of `ShyAni` is private" in private.text
    missing = await world.slash(world.carol, "link", username="nobody", site="kitsu")
    assert missing.ephemeral and "no Kitsu user called `nobody`" in missing.text, missing.text
    assert world.anilist is not None
    world.anilist.rate_limit(times=10, retry_after="0")
    limited = await world.slash(world.admin, "link", username="AliceAni", site="anilist")
    assert "AniList is rate-limiting the bot" in limited.text, limited.text
    res = await world.slash(world.carol, "recommend")
    assert "/link" in res.text, "nothing was stored"


async def test_a_new_link_replaces_the_old_after_a_confirm(world: World, bot: Any) -> None:
    bot.services.cooldowns["link"] = (0, 0.0)  # four /link in a row: the confirm is tested here
    await world.slash(world.alice, "link", username="AliceAni", site="anilist")
    ask = await world.slash(world.alice, "link", username="alice_mal")  # site defaults to mal
    assert ask.ephemeral and "linked to `AliceAni` on AniList" in ask.text, ask.text
    assert "Replace it with `alice_mal` on MyAnimeList?" in ask.text

    stranger = await world.click(ask, "Replace", world.bob)
    assert "belong to the member who ran the command" in stranger.text
    cancelled = await world.click(ask, "Cancel", world.alice)
    assert "nothing was changed" in cancelled.text
    assert "on AniList" in (await world.slash(world.alice, "profile")).text

    again = await world.slash(world.alice, "link", username="alice_mal", site="mal")
    assert again.buttons(), again.text
    replaced = await world.click(again, "Replace", world.alice)
    assert "Linked to `alice_mal` on MyAnimeList" in replaced.text, replaced.text
    profile = await world.slash(world.alice, "profile")
    assert "on MyAnimeList" in profile.text and "AliceAni" not in profile.text

    # The same account again is a plain re-sync: no question asked.
    same = await world.slash(world.alice, "link", username="ALICE_MAL")
    assert "Linked to ALICE\\_MAL on MyAnimeList" in same.text and not same.buttons()


async def test_background_refresh_of_anilist_and_kitsu_survives_their_outages(
    world: World, start_bot: BotFactory
) -> None:
    assert world.anilist is not None and world.kitsu is not None
    bot = await start_bot(refresh_interval_minutes=0.01, refresh_min_age_hours=0)
    await world.slash(world.alice, "link", username="AliceAni", site="anilist")
    await world.slash(world.bob, "link", username="bob-kitsu", site="kitsu")
    stats = bot.services.accounts.stats

    # Both sites down: every round records the error, nothing stored is lost.
    world.anilist.server_error(times=10_000, status=502)
    world.kitsu.server_error(times=10_000, status=503)
    await wait_rounds(bot, 3)
    assert (await stats(world.alice.id)).entries == len(SAMPLE_LIST)
    assert (await stats(world.bob.id)).entries == len(BOB_LIST)
    profile = await world.slash(world.bob, "profile")
    assert "Kitsu is not responding" in profile.text, profile.text

    # Back up, and both lists changed on their sites: the refresh picks the changes up.
    world.anilist.clear_faults()
    world.kitsu.clear_faults()
    world.anilist.add_user("AliceAni", anilist_rows(SAMPLE_LIST[:5]), score_format="POINT_100")
    world.kitsu.add_user("Bob K", kitsu_rows([*BOB_LIST, (1, 9, "completed")]), slug="bob-kitsu")
    for _ in range(100):
        if (await stats(world.alice.id)).entries == 5 and (await stats(world.bob.id)).entries == 5:
            break
        await wait_rounds(bot, 1)
    assert (await stats(world.alice.id)).entries == 5
    assert (await stats(world.bob.id)).entries == len(BOB_LIST) + 1
