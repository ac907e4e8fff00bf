"""``make demo``: the real bot against a local fake Discord and fake MAL, no credentials.

Starts the fake MAL (a sample user from ``../shared/data/anime-5k`` when it is there, else a
built-in list) and the fake Discord in this process, runs the bot as a separate process
(``python -m bot``, migrated temporary SQLite DB), plays ``/link``, ``/recommend`` and ``/why``
as a member would, then ``/together`` for three members (two friends link and share; the first
links an AniList list, served by a fake AniList in this process) with one feedback mark,
prints the replies, shuts everything down and exits 0 (1 on failure).

The model is ``artifacts/model`` (``make model``) when it exists, else a tiny random-weight
model built on the spot (its recommendations mean nothing; the demo says so).
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
import tempfile
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fakes.anilist import FakeAniList, rows_from_mal
from fakes.discord import InteractionResult
from fakes.discord.catalog import (
    CATALOG,
    ROOT,
    SAMPLE_LIST,
    SHARED_DATA,
    Anime,
    ListEntries,
    load_anime_csv,
    load_rating_csv,
    pick_users,
    popular_ids,
)
from fakes.discord.stack import StackError, artifact_catalog, build_tiny_model, local_stack

WIDTH = 96
FRIENDS = ("ann", "bo")
MAL_LINK = re.compile(r"myanimelist\.net/anime/(\d+)")


@dataclass
class Scenario:
    """What the demo plays: the model, the anime the fake MAL knows, the sample user's list."""

    model_path: Path
    model_note: str
    anime: list[Anime]
    username: str
    entries: ListEntries
    data_note: str
    friends: dict[str, ListEntries]  # two more lists, for /together


def prepare(workdir: Path, model: Path, data: Path | None) -> Scenario:
    """Choose the model and the sample user; build a tiny model when there is none."""
    corpus: list[Anime] | None = None
    model_note = ""
    if (model / "manifest.json").exists():
        try:
            corpus = artifact_catalog(model)
            model_note = f"model: {model} ({len(corpus):,} titles)"
        except Exception as exc:  # ArtifactError: fall back, and say why
            model_note = f"model: {model} is unusable ({exc}); "
    have_data = data is not None and (data / "rating.csv").exists()
    titles = load_anime_csv(data / "anime.csv") if have_data and data else {}
    lists = load_rating_csv(data / "rating.csv") if have_data and data else {}

    if corpus is None:
        if lists:
            ids = popular_ids(lists, 400)
            catalog = [titles.get(i, Anime(i, f"Anime {i}")) for i in ids]
        else:
            catalog = list(CATALOG)
        model_path = build_tiny_model(workdir / "tiny-model", catalog)
        model_note += (
            f"model: no trained model at {model}, so a tiny RANDOM-weight model over "
            f"{len(catalog)} titles was built (its suggestions mean nothing; run `make model`)"
        )
        corpus = catalog
    else:
        model_path = model
    corpus_ids = {a.anime_id for a in corpus}

    if lists:
        users = pick_users(lists, corpus_ids, 3)
        if len(users) == 3:
            username = users[0]
            entries = lists[username]
            friends = {u: lists[u] for u in users[1:]}
            data_note = f"sample users: {', '.join(users)} from {data}/rating.csv"
        else:
            lists = {}
    if not lists:
        username = "demo_user"
        entries = [e for e in SAMPLE_LIST if e[0] in corpus_ids] or list(SAMPLE_LIST)
        half = len(entries) // 2
        friends = {"ann_demo": entries[:half], "bo_demo": entries[half:]}
        data_note = f"sample user: {username}, a built-in list of {len(entries)} entries"

    known = {a.anime_id: a for a in CATALOG}
    known.update({a.anime_id: a for a in corpus})
    known.update(titles)
    needed = corpus_ids | {e[0] for e in entries} | {e[0] for f in friends.values() for e in f}
    anime = [known.get(i, Anime(i, f"Anime {i}")) for i in sorted(needed)]
    return Scenario(model_path, model_note, anime, username, entries, data_note, friends)


# --------------------------------------------------------------------------- printing


def show_command(command: str) -> None:
    print(f"\n▶ {command}")


def show(result: InteractionResult) -> None:
    """A reply as a member would read it: messages, embeds, buttons, timing."""
    timing = f"acknowledged in {1000 * (result.ack_s or 0):.0f} ms"
    timing += f", answered in {1000 * result.elapsed_s:.0f} ms"
    flags = " · only you can see this" if result.ephemeral else ""
    print(f"  [{result.callback}{flags} · {timing}]")
    for message in result.messages:
        if message.content:
            print(textwrap.indent(_wrap(message.content), "  │ "))
        for embed in message.embeds:
            print(textwrap.indent(render_embed(embed), "  │ "))
        labels = [b.get("label") or "?" for b in message.buttons()]
        if labels:
            print("  │ " + "  ".join(f"[{label}]" for label in labels))
        menus = [
            c.get("placeholder") or "?"
            for row in message.components
            for c in row.get("components") or []
            if c.get("type") == 3
        ]
        if menus:
            print("  │ " + "  ".join(f"[{menu} ▾]" for menu in menus))


def render_embed(embed: dict[str, Any]) -> str:
    lines = []
    if embed.get("author"):
        lines.append(embed["author"].get("name", ""))
    if embed.get("title"):
        title = embed["title"]
        lines.append(f"┃ {title}" + (f"  <{embed['url']}>" if embed.get("url") else ""))
    if embed.get("description"):
        lines.append(_wrap(embed["description"]))
    for field in embed.get("fields") or []:
        lines.append(f"• {field.get('name', '')}")
        lines.append(textwrap.indent(_wrap(field.get("value", "")), "    "))
    if embed.get("thumbnail"):
        lines.append(f"(cover: {embed['thumbnail'].get('url')})")
    if embed.get("footer"):
        lines.append(f"— {embed['footer'].get('text', '')}")
    return "\n".join(lines)


def _wrap(text: str) -> str:
    return "\n".join(
        textwrap.fill(line, WIDTH, replace_whitespace=False) if line else ""
        for line in text.splitlines()
    )


# --------------------------------------------------------------------------- the play


async def play(scenario: Scenario, workdir: Path, *, show_log: bool = False) -> None:
    member_name = "demo"
    async with (
        FakeAniList.running() as anilist,
        local_stack(
            model_path=scenario.model_path,
            anime=scenario.anime,
            lists={scenario.username: scenario.entries, **scenario.friends},
            members=[member_name, *FRIENDS],
            workdir=workdir,
            extra_env=anilist_env(anilist, scenario),
        ) as stack,
    ):
        assert stack.bot.process is not None
        print(f"bot: `python -m bot` (pid {stack.bot.process.pid}) is connected to the fakes")
        fake, guild = stack.discord, stack.guild
        member = stack.members[member_name]

        show_command(f"/link username:{scenario.username}")
        show(await fake.slash(guild, member, "link", username=scenario.username))

        show_command("/recommend count:5")
        recommended = await fake.slash(guild, member, "recommend", count=5)
        show(recommended)
        titles = {a.anime_id: a.title for a in scenario.anime}
        first_id = first_recommended(recommended)
        query = titles.get(first_id or 0) or scenario.anime[0].title
        if any(b.get("label") == "Next" and not b.get("disabled") for b in recommended.buttons()):
            show_command("(presses [Next])")
            next_id = recommended.button("Next")["custom_id"]
            show(await fake.click(recommended, next_id, member))

        typed = query[:8]
        show_command(f"/why title:{typed}…  (autocomplete)")
        choices = await fake.autocomplete(guild, member, "why", "title", typed)
        for choice in choices[:5]:
            print(f"  · {choice['name']}")
        if not choices:
            print("  (no suggestions)")
            return
        # The member picks the suggestion that is the title they saw first.
        choice = next((c for c in choices if c["value"] == str(first_id)), choices[0])
        show_command(f"/why title:{choice['name']}")
        show(await fake.slash(guild, member, "why", title=str(choice["value"])))
        await play_together(stack, scenario)

        lag = await fake.ping()
        print(f"\ngateway ping to the bot: {1000 * lag:.1f} ms (its event loop is responsive)")
        if show_log:
            print("\nbot log (python -m bot):")
            print(textwrap.indent(stack.bot.log_tail(200), "  "))


async def play_together(stack: Any, scenario: Scenario) -> None:
    """Two friends link and share; ``/together`` for the three; a friend marks a title."""
    fake, guild = stack.discord, stack.guild
    friends = [stack.members[name] for name in FRIENDS]
    for i, (friend, username) in enumerate(zip(friends, scenario.friends, strict=True)):
        if i == 0:  # the first friend keeps their list on AniList
            show_command(f"({FRIENDS[0]}) /link username:{username} site:anilist")
            show(await fake.slash(guild, friend, "link", username=username, site="anilist"))
        else:
            await fake.slash(guild, friend, "link", username=username)
        profile = await fake.slash(guild, friend, "profile")
        await fake.click(profile, profile.button("Share")["custom_id"], friend)
    names = " ".join(f"member{i}:@{n}" for i, n in enumerate(FRIENDS, start=1))
    print(f"\n({', '.join(FRIENDS)} linked {' and '.join(scenario.friends)} and share)")
    show_command(f"/together {names} count:5")
    group = await fake.slash(
        guild, stack.members["demo"], "together", member1=friends[0], member2=friends[1], count=5
    )
    show(group)
    menus = [c for row in group.components for c in row.get("components") or []]
    menu = next((c for c in menus if c.get("type") == 3), None)
    if menu is not None and menu["options"]:
        option = menu["options"][0]
        show_command(f"({FRIENDS[0]} picks {menu['placeholder']} {option['label']})")
        show(await fake.click(group, menu["custom_id"], friends[0], values=[option["value"]]))


def anilist_env(anilist: FakeAniList, scenario: Scenario) -> dict[str, str]:
    """The first friend's list on the fake AniList (scored out of 100), and the bot's settings
    pointing at it."""
    name, entries = next(iter(scenario.friends.items()))
    anilist.add_user(name, rows_from_mal(entries), score_format="POINT_100")
    return {"ANILIST_API_URL": anilist.base_url, "ANILIST_REQUESTS_PER_MINUTE": "0"}


def first_recommended(result: InteractionResult) -> int | None:
    """The MAL id of the first title linked in the reply (titles link to myanimelist.net)."""
    match = MAL_LINK.search(result.text + "".join(str(e) for e in result.embeds))
    return int(match.group(1)) if match else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fakes.demo", description=__doc__)
    parser.add_argument("--model", type=Path, default=ROOT / "artifacts" / "model")
    parser.add_argument("--data", type=Path, default=SHARED_DATA)
    parser.add_argument("--log", action="store_true", help="print the bot process's log too")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    print("anirec demo: the real bot, a fake Discord and a fake MyAnimeList, all on 127.0.0.1")
    with tempfile.TemporaryDirectory(prefix="anirec-demo-") as tmp:
        workdir = Path(tmp)
        data = args.data if args.data.exists() else None
        scenario = prepare(workdir, args.model, data)
        print(scenario.model_note)
        print(scenario.data_note)
        try:
            asyncio.run(play(scenario, workdir, show_log=args.log))
        except StackError as exc:
            print(f"\ndemo failed: {exc}", file=sys.stderr)
            return 1
        except (AssertionError, ValueError, TimeoutError) as exc:
            log = (workdir / "bot.log").read_text(errors="replace").splitlines()[-30:]
            print(f"\ndemo failed: {exc!r}\nbot log:\n" + "\n".join(log), file=sys.stderr)
            return 1
    print(f"\ndone in {time.perf_counter() - started:.1f} s; everything is shut down.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
