"""``/together`` for three members and the feedback menus (mark, undo in ``/profile``, deleted
by ``/unlink``), through the real bot, the fake Discord and the fake MAL."""

from __future__ import annotations

import re
from typing import Any

from fakes.discord import FakeMember, InteractionResult
from fakes.discord.catalog import SAMPLE_LIST
from tests.e2e.conftest import BOB_LIST, World
from tests.e2e.test_journey import listed_ids

CAROL_LIST = SAMPLE_LIST[6:]
SCORE_LINE = re.compile(r"^alice (\d+\.\d), bob (\d+\.\d), carol (\d+\.\d)$", re.MULTILINE)


def menu(result: InteractionResult, placeholder: str) -> dict[str, Any]:
    """The select menu whose placeholder starts with ``placeholder``."""
    for row in result.components:
        for item in row.get("components") or []:
            if item.get("type") == 3 and (item.get("placeholder") or "").startswith(placeholder):
                return item
    raise AssertionError(f"no menu {placeholder!r} in {result.components}")


async def pick(
    world: World, result: InteractionResult, placeholder: str, who: FakeMember, *ids: int
) -> InteractionResult:
    """``who`` picks the titles ``ids`` in the menu ``placeholder`` under ``result``."""
    item = menu(result, placeholder)
    offered = {o["value"] for o in item["options"]}
    assert {str(i) for i in ids} <= offered, (ids, offered)
    return await world.discord.click(result, item["custom_id"], who, values=[str(i) for i in ids])


async def share(world: World, who: FakeMember) -> None:
    profile = await world.slash(who, "profile")
    await world.click(profile, "Share my recommendations", who)


async def test_together_for_three_members(world: World, bot: object) -> None:
    world.mal.add_user("carol_public", CAROL_LIST)
    for who, name in (
        (world.alice, "alice_mal"),
        (world.bob, "bob_mal"),
        (world.carol, "carol_public"),
    ):
        await world.slash(who, "link", username=name)

    refused = await world.slash(world.alice, "together", member1=world.bob, member2=world.carol)
    assert refused.ephemeral, refused.text
    assert (
        "Left out: bob (does not share their recommendations), "
        "carol (does not share their recommendations)." in refused.text
    ), refused.text

    await share(world, world.bob)
    await share(world, world.carol)
    group = await world.slash(
        world.alice,
        "together",
        member1=world.bob,
        member2=world.carol,
        member3=world.admin,
        count=5,
    )
    assert not group.ephemeral and "Together: alice, bob and carol" in group.text, group.text
    assert "Left out: mod (has not linked a list)." in group.text
    assert "Masthoff 2004" in group.text and "mean predicted score" in group.text
    ids = listed_ids(group)
    assert len(ids) == 5 and len(set(ids)) == 5
    watched = {a for entries in (SAMPLE_LIST, BOB_LIST, CAROL_LIST) for a, _, _ in entries}
    assert not set(ids) & watched, "nobody in the group has any of them on their list"
    lines = SCORE_LINE.findall(group.text)
    assert len(lines) == 5, group.text
    means = [float(m) for m in re.findall(r"group \*\*(\d+\.\d)\*\*", group.text)]
    assert len(means) == 5
    for mean, scores in zip(means, lines, strict=True):
        assert abs(mean - sum(float(s) for s in scores) / 3) <= 0.1  # each shown to one decimal

    # Each member marks for themselves; someone outside the group cannot.
    outsider = await pick(world, group, "Not interested", world.admin, ids[0])
    assert outsider.ephemeral and "members of this group" in outsider.text
    marked = await pick(world, group, "Not interested", world.bob, ids[0])
    assert marked.ephemeral and "Not interested:" in marked.text, marked.text
    bobs = await world.slash(world.bob, "recommend", count=25)
    assert ids[0] not in listed_ids(bobs)
    again = await world.slash(world.alice, "together", member1=world.bob, member2=world.carol)
    assert ids[0] not in listed_ids(again), "one member not interested: out for the group"


async def test_feedback_marks_undo_and_unlink(world: World, bot: object) -> None:
    await world.slash(world.alice, "link", username="alice_mal")
    recs = await world.slash(world.alice, "recommend", count=5)
    dull, seen, liked, *_ = listed_ids(recs)

    refused = await pick(world, recs, "Not interested", world.bob, dull)
    assert refused.ephemeral and "belong to the member" in refused.text

    done = await pick(world, recs, "Not interested", world.alice, dull)
    assert done.ephemeral and "no longer recommended to you" in done.text, done.text
    done = await pick(world, recs, "Already seen", world.alice, seen)
    assert "counted as watched" in done.text, done.text
    done = await pick(world, recs, "Seen it, liked it", world.alice, liked)
    assert "counted as watched with a 8" in done.text, done.text

    later = await world.slash(world.alice, "recommend", count=25)
    assert not {dull, seen, liked} & set(listed_ids(later))
    as_seen = await world.slash(world.alice, "why", title=str(seen))
    assert "Already on alice's list (unscored)" in as_seen.text, as_seen.text
    as_liked = await world.slash(world.alice, "why", title=str(liked))
    assert "scored **8**" in as_liked.text, as_liked.text

    profile = await world.slash(world.alice, "profile")
    assert "Your marks" in profile.text and "Not interested" in profile.text, profile.text
    undo_menu = menu(profile, "Undo a mark")
    assert {o["value"] for o in undo_menu["options"]} == {str(dull), str(seen), str(liked)}
    undone = await pick(world, profile, "Undo a mark", world.alice, dull)
    assert any("can be recommended to you again" in m.text() for m in undone.messages)
    assert {o["value"] for o in menu(profile, "Undo a mark")["options"]} == {str(seen), str(liked)}
    rank = await world.slash(world.alice, "why", title=str(dull))
    assert "Rank **#" in rank.text, "recommendable again"

    # Someone else's recommendations (shared) carry no feedback menus.
    await share(world, world.alice)
    await world.slash(world.bob, "link", username="bob_mal")
    viewed = await world.slash(world.bob, "recommend", member=world.alice, count=3)
    assert not [
        c for row in viewed.components for c in row.get("components") or [] if c.get("type") == 3
    ]

    unlink = await world.slash(world.alice, "unlink")
    gone = await world.click(unlink, "Unlink", world.alice)
    assert "Your 2 feedback marks were deleted too." in gone.text, gone.text
    await world.slash(world.alice, "link", username="alice_mal")
    fresh = await world.slash(world.alice, "profile")
    assert "Your marks" not in fresh.text
