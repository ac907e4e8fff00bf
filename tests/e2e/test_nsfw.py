"""NSFW safe by default, through the real bot, the fake Discord and the fake MAL (issue #11).

The model's corpus holds, besides the usual titles, one NSFW title of the shipped catalog, one
whose status the shipped catalog does not know (and MAL has no page for), one MAL rates ``gray``
and one MAL gives no ``nsfw`` field for. A member whose list holds only titles the model does not
know gets recommendations in a server that has not allowed NSFW: none of the four may appear,
nor in autocomplete, /why or /similar; once an admin allows NSFW they may.
"""

from __future__ import annotations

import re
from pathlib import Path

from fakes.discord import InteractionResult
from fakes.discord.catalog import CATALOG, Anime
from fakes.discord.stack import build_tiny_model
from tests.e2e.conftest import BotFactory, World
from tests.e2e.test_journey import listed_ids

SHIPPED_NSFW = Anime(21521, "Futa-bu!", "ova")
SHIPPED_UNKNOWN = Anime(136, "Hunter x Hunter")  # shipped status unknown; no MAL page here
MAL_GRAY = Anime(990002, "Gray Area Title", "ova")
MAL_SILENT = Anime(990001, "Silent Mystery Title", "ova")
UNSAFE = {a.anime_id for a in (SHIPPED_NSFW, SHIPPED_UNKNOWN, MAL_GRAY, MAL_SILENT)}
# Titles the model does not know (2023): Frieren scored 10, Jujutsu Kaisen 2nd Season scored 9.
UNKNOWN_ONLY_LIST = ((52991, 10, "completed"), (51009, 9, "completed"))


async def test_unknown_only_list_never_gets_nsfw_or_unknown_status(
    world: World, start_bot: BotFactory, tmp_path: Path
) -> None:
    extras = (SHIPPED_NSFW, SHIPPED_UNKNOWN, MAL_GRAY, MAL_SILENT)
    corpus = (*extras, *CATALOG)  # first: the most popular, at the top of an empty profile
    model = build_tiny_model(tmp_path / "nsfw-model", corpus)
    world.mal.add_anime(SHIPPED_NSFW.anime_id, SHIPPED_NSFW.title, nsfw="black")
    world.mal.add_anime(MAL_GRAY.anime_id, MAL_GRAY.title, nsfw="gray")
    world.mal.add_anime(MAL_SILENT.anime_id, MAL_SILENT.title, nsfw=None)
    world.mal.add_anime(52991, "Sousou no Frieren")
    world.mal.add_anime(51009, "Jujutsu Kaisen 2nd Season")
    world.mal.add_user("dave_mal", UNKNOWN_ONLY_LIST)
    await start_bot(model_path=model)

    linked = await world.slash(world.alice, "link", username="dave_mal")
    assert "**2** entries" in linked.text, linked.text
    recs = await world.slash(world.alice, "recommend", count=25)
    ids = listed_ids(recs)
    assert ids, recs.text
    assert not UNSAFE & set(ids), ids

    await why_places_a_catalog_title(world, recs)

    for typed in ("futa", "gray area", "silent myst", "hunter x"):
        choices = await world.autocomplete(world.alice, "why", "title", typed)
        assert not {int(c["value"]) for c in choices} & UNSAFE, (typed, choices)
    for hidden in UNSAFE:
        why = await world.slash(world.alice, "why", title=str(hidden))
        assert "No anime matches" in why.text, why.text
        similar = await world.slash(world.alice, "similar", title=str(hidden))
        assert "No anime matches" in similar.text, similar.text

    await world.slash(world.admin, "config", allow_nsfw=True)
    allowed = await world.slash(world.alice, "recommend", count=25)
    assert UNSAFE & set(listed_ids(allowed)), "with NSFW allowed they may come back"
    choices = await world.autocomplete(world.alice, "why", "title", "futa")
    assert str(SHIPPED_NSFW.anime_id) in [c["value"] for c in choices]


FRIEREN_2 = 59978  # the shipped catalog's; not in this model's corpus, its prequel is


async def why_places_a_catalog_title(world: World, recs: InteractionResult) -> None:
    """/why on a title the network does not know answers from the catalog side channel: its
    place in the ranking /recommend pages through, its MAL mean and the reason in words."""
    why = await world.slash(world.alice, "why", title=str(FRIEREN_2))
    found = re.search(r"Rank \*\*#(\d+)\*\*", why.text)
    assert found is not None, why.text
    assert "MAL mean" in why.text and "cannot place it" not in why.text
    assert "Sequel of Sousou no Frieren, which you rated 10." in why.text, why.text
    place, shown = int(found.group(1)), listed_ids(recs)
    if place > len(shown):
        shown += listed_ids(await world.click(recs, "Next", world.alice))
    assert shown[place - 1] == FRIEREN_2, (place, shown)
