"""Linking problems a member can meet, and /import for private lists, through the real bot."""

from __future__ import annotations

import gzip

from fakes.discord.catalog import SAMPLE_LIST, mal_export_xml
from tests.e2e.conftest import BOB_LIST, World


async def test_private_missing_and_invalid_users_get_clear_replies(
    world: World, bot: object
) -> None:
    private = await world.slash(world.carol, "link", username="carol_mal")
    assert private.ephemeral
    assert "private" in private.text and "/import" in private.text, private.text

    missing = await world.slash(world.bob, "link", username="nobody_here")
    assert missing.ephemeral and "no MyAnimeList user called `nobody_here`" in missing.text

    invalid = await world.slash(world.admin, "link", username="not a name!")
    assert invalid.ephemeral and "username" in invalid.text.lower(), invalid.text

    dave = world.discord.add_member(world.guild, "dave")
    world.mal.rate_limit(times=5, retry_after="0")
    limited = await world.slash(dave, "link", username="alice_mal")
    assert limited.ephemeral and "rate-limiting" in limited.text, limited.text
    world.mal.clear_faults()
    world.mal.throttle(times=5)
    throttled = await world.slash(dave, "link", username="alice_mal")
    assert throttled.ephemeral and "refusing requests" in throttled.text, throttled.text
    world.mal.clear_faults()

    for member in (world.carol, world.bob, world.admin, dave):
        res = await world.slash(member, "recommend")
        assert "/link" in res.text, "nothing was linked or stored"
    assert not any("Traceback" in m.text() for m in world.discord.messages.values())


async def test_import_of_an_export_for_a_private_list(world: World, bot: object) -> None:
    broken = world.discord.attachment("animelist.xml", b"<myanimelist><anime>", "text/xml")
    rejected = await world.slash(world.carol, "import", file=broken)
    assert rejected.ephemeral and "not a MyAnimeList export" in rejected.text, rejected.text

    export = gzip.compress(mal_export_xml("carol_mal", SAMPLE_LIST[:6]))
    upload = world.discord.attachment("animelist_1700000000_-_123.xml.gz", export)
    imported = await world.slash(world.carol, "import", file=upload)
    assert imported.ephemeral and "**6** entries" in imported.text, imported.text
    assert imported.ack_s is not None and imported.ack_s < 3

    recs = await world.slash(world.carol, "recommend", count=3)
    assert recs.embed is not None and "Recommendations for carol" in recs.text
    profile = await world.slash(world.carol, "profile")
    assert "imported file" in profile.text and "**6** entries" in profile.text, profile.text


async def test_unlink_can_be_cancelled(world: World, bot: object) -> None:
    await world.slash(world.bob, "link", username="bob_mal")
    unlink = await world.slash(world.bob, "unlink")
    cancelled = await world.click(unlink, "Cancel", world.bob)
    assert "nothing was changed" in cancelled.text
    recs = await world.slash(world.bob, "recommend", count=2)
    assert recs.embed is not None, "still linked"

    nobody = await world.slash(world.alice, "unlink")
    assert nobody.ephemeral and "/link" in nobody.text and not nobody.buttons()


async def test_refresh_resyncs_then_cools_down(world: World, bot: object) -> None:
    await world.slash(world.bob, "link", username="bob_mal")
    world.mal.add_user("bob_mal", [(47, 9, "completed"), *BOB_LIST])
    refreshed = await world.slash(world.bob, "refresh")
    assert refreshed.ephemeral and "Refreshed bob" in refreshed.text, refreshed.text
    assert "**5** entries" in refreshed.text, "forced: re-fetched even with an old fingerprint"
    again = await world.slash(world.bob, "refresh")
    assert again.ephemeral and "Slow down" in again.text, again.text
