"""``python -m fakes.loopdemo``: issue #12's whole model lifecycle against the local fakes.

A fake MAL serves a Kaggle-layout ``rating.csv`` (e.g. ``../shared/data/mal-2021``: 661 real
2021 lists, users ``user<ID>``) as the public population, and a fake Jikan names those same users
as recent updaters of the population's most popular titles and as user-search results. Then, each
step timed, with the real tools as child processes (this process keeps serving the fakes):

1. ``python -m training promote`` puts the starting model (``--model``, default ``artifacts/model``,
   copied, never changed) live under ``<workdir>/model``;
2. the real bot (``python -m bot``) starts against the fake Discord and the fake MAL, watching
   ``<workdir>/model`` every ``--watch-seconds``;
3. ``python -m training discover`` (fake Jikan) → ``python -m training collect`` (fake MAL);
4. ``--members`` members link the lists with the most scores among the 20 newest collected (ones
   that ``refresh`` holds out: its held-out users are the newest lists) and ask ``/recommend``;
5. ``python -m training refresh --data training/datasets/anime-5k --data <collected>`` trains,
   evaluates against the live model and promotes if not worse;
6. the bot's watcher swaps the model in (its log says so), with the same bot process;
7. the members ask ``/recommend`` again.

It prints a report: times, corpus sizes, the share of the members' recommended titles whose start
year (the shipped catalog's; an upcoming title counts as newer) is after 2017 before and after,
how many came from the network's corpus, and the refresh report's numbers.
A development command, not a test: it needs the population file and trains a model (minutes).
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import os
import re
import shutil
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from fakes.discord import InteractionResult
from fakes.discord.catalog import ROOT, Anime, ListEntries, load_rating_csv
from fakes.discord.stack import Stack, StackError, local_stack
from fakes.jikan import FakeJikan
from fakes.jikan.server import UPDATES_PER_PAGE

MAL_LINK = re.compile(r"myanimelist\.net/anime/(\d+)")
NEWER_THAN = 2017
TOP_ANIME = 50  # two pages of Jikan's /top/anime: `discover --top-pages 2`


class LoopError(RuntimeError):
    """A step failed; the message says which and why."""


def population_anime(lists: dict[str, ListEntries], model: Path) -> tuple[list[Anime], Any]:
    """The titles the fake MAL knows (every listed id and the starting model's corpus, named and
    typed from the shipped catalog) and the catalog itself (for start years)."""
    from model.artifact import load_artifact
    from model.catalog import Catalog

    catalog = Catalog.load()
    ids = {e[0] for entries in lists.values() for e in entries}
    ids |= {int(item["anime_id"]) for item in load_artifact(model, verify=False).items}
    anime = []
    for aid in sorted(ids):
        title = catalog.get(aid)
        if title is None:
            anime.append(Anime(aid, f"Anime {aid}"))
        else:
            anime.append(Anime(aid, title.title, (title.type or "tv").lower(), genres=title.genres))
    return anime, catalog


def jikan_for(lists: dict[str, ListEntries]) -> FakeJikan:
    """A fake Jikan whose most popular titles' recent updaters, and whose user search, are the
    population's users. ``discover`` reads one page (75) of updaters per title and at most 20
    pages (400) of a search, so each title's first page leads with users no earlier title showed,
    and the search with those no title showed."""
    counts = Counter(e[0] for entries in lists.values() for e in entries)
    top = [aid for aid, _ in counts.most_common(TOP_ANIME)]
    titles = {u: {e[0] for e in entries} for u, entries in lists.items()}
    shown: set[str] = set()
    updates = {}
    for aid in top:
        having = [u for u in lists if aid in titles[u]]
        first = [u for u in having if u not in shown][:UPDATES_PER_PAGE]
        shown |= set(first)
        updates[aid] = first + [u for u in having if u not in set(first)]
    users = [u for u in lists if u not in shown] + [u for u in lists if u in shown]
    return FakeJikan(users=users, updates=updates, top=top)


async def run_step(name: str, argv: list[str], env: dict[str, str], log: Path) -> float:
    """One ``python -m …`` child process (output to ``log``); its wall time in seconds."""
    started = time.perf_counter()
    out = log.open("wb")
    try:
        process = await asyncio.create_subprocess_exec(
            sys.executable, *argv, cwd=ROOT, env={**os.environ, **env}, stdout=out, stderr=out
        )
        code = await process.wait()
    finally:
        out.close()
    seconds = time.perf_counter() - started
    if code != 0:
        tail = stack_tail(log)
        raise LoopError(f"{name} exited with {code} after {seconds:.0f} s:\n{tail}")
    print(f"  {name}: {seconds:.1f} s ({log})", flush=True)
    return seconds


def stack_tail(log: Path, lines: int = 20) -> str:
    """The last lines of a child's log."""
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


def newest_collected(
    collected: Path, lists: dict[str, ListEntries], count: int, among: int = 20
) -> list[str]:
    """The ``count`` lists with the most scored entries among the ``among`` newest collected
    lists (refresh's held-out order: latest ``fetched_at`` first, ties by name; refresh holds out
    the newest 10 %, 66 of 661), so the members' lists are ones the candidate never saw."""
    fetched: list[tuple[str, str]] = []
    for part in sorted(collected.glob("*.jsonl.gz")):
        with gzip.open(part, "rt", encoding="utf-8") as handle:
            for line in handle:
                row = json.loads(line)
                if row.get("http_status") == 200 and row.get("entries"):
                    fetched.append((row["fetched_at"], row["username"]))
    if not fetched:
        raise LoopError(f"collect wrote no list under {collected}")
    newest = max(f for f, _ in fetched)
    ties = sorted(u.lower() for f, u in fetched if f == newest)
    order = ties + [u.lower() for f, u in sorted(fetched, reverse=True) if f != newest]
    by_lower = {u.lower(): u for u in lists}
    ranked = sorted(order[:among], key=lambda u: -sum(e[1] > 0 for e in lists[by_lower[u]]))
    return [by_lower[u] for u in ranked[:count]]


def recommended_ids(result: InteractionResult, on_list: set[int]) -> list[int]:
    """The MAL ids the reply links, in order, less the member's own titles (a "sequel of X"
    line may link X)."""
    seen: list[int] = []
    for embed in result.embeds:
        for aid in map(int, MAL_LINK.findall(json.dumps(embed))):
            if aid not in on_list and aid not in seen:
                seen.append(aid)
    return seen


def corpus_of(model: Path) -> set[int]:
    """A model's corpus (the titles its network scores; others come from the catalog)."""
    from model.artifact import load_artifact

    return {int(item["anime_id"]) for item in load_artifact(model, verify=False).items}


def newer_share(ids: list[int], catalog: Any) -> tuple[int, int]:
    """(titles that started after 2017, titles with a known year); an upcoming title (not aired
    yet, the catalog has no year) counts as both."""
    titles = [t for t in (catalog.get(a) for a in ids) if t is not None]
    years = [t.year if t.year else 9999 for t in titles if t.year or t.status == "upcoming"]
    return sum(y > NEWER_THAN for y in years), len(years)


def upcoming(ids: list[int], catalog: Any) -> int:
    """Titles the catalog marks as not aired yet."""
    return sum(t is not None and t.status == "upcoming" for t in map(catalog.get, ids))


def write_reply(path: Path, result: InteractionResult) -> None:
    path.write_text(result.text + "\n\n" + json.dumps(result.embeds, indent=1) + "\n")


async def recommend(
    stack: Stack, member_name: str, count: int, on_list: set[int], save: Path
) -> list[int]:
    """``/recommend count:count`` for the member; the reply's text goes to ``save``."""
    member = stack.members[member_name]
    result = await stack.discord.slash(stack.guild, member, "recommend", count=count)
    write_reply(save, result)
    ids = recommended_ids(result, on_list)
    if not ids:
        raise LoopError(f"/recommend returned no titles:\n{result.text[:800]}")
    return ids


async def wait_for_swap(stack: Stack, since: int, within: float) -> float:
    """Seconds until the bot's log says it serves a new model (after byte ``since``)."""
    started = time.perf_counter()
    while time.perf_counter() - started < within:
        if "model swap: now serving" in stack.bot.log_path.read_bytes()[since:].decode(
            errors="replace"
        ):
            return time.perf_counter() - started
        if not stack.bot.running():
            raise LoopError(f"the bot exited:\n{stack.bot.log_tail()}")
        await asyncio.sleep(0.5)
    raise LoopError(f"no model swap within {within:.0f} s:\n{stack.bot.log_tail()}")


async def loop(args: argparse.Namespace) -> dict[str, Any]:
    work: Path = args.workdir.resolve()
    for stale in ("names.txt", "collected", "refresh", "bot", "model", "models"):
        path = work / stale
        if path.is_symlink() or path.is_file():
            path.unlink()
        elif path.exists():
            shutil.rmtree(path)
    (work / "bot").mkdir(parents=True)
    logs = work / "logs"
    logs.mkdir(exist_ok=True)
    times: dict[str, float] = {}
    lists = load_rating_csv(args.population)
    anime, catalog = population_anime(lists, args.model)
    n_entries = sum(map(len, lists.values()))
    print(f"population: {len(lists):,} lists, {n_entries:,} entries from {args.population}")

    model = work / "model"
    times["promote the starting model"] = await run_step(
        "promote", ["-m", "training", "promote", str(args.model.resolve()), "--to", str(model)],
        {}, logs / "promote-start.log",
    )  # fmt: skip
    jikan = jikan_for(lists)
    started = time.perf_counter()
    async with (
        FakeJikan.running(jikan.users, jikan.updates, top=jikan.top) as fake_jikan,
        local_stack(
            model_path=model,
            anime=anime,
            lists=lists,
            members=[f"member{i}" for i in range(args.members)],
            workdir=work / "bot",
            ready_within=600.0,
            extra_env={"MODEL_WATCH_SECONDS": str(args.watch_seconds)},
        ) as stack,
    ):
        times["bot start (to connected)"] = time.perf_counter() - started
        assert stack.bot.process is not None
        pid = stack.bot.process.pid
        print(f"  bot: python -m bot (pid {pid}) is connected to the fakes", flush=True)
        names = work / "names.txt"
        times["discover (fake Jikan)"] = await run_step(
            "discover",
            ["-m", "training", "discover", "--out", str(names), "--limit", str(len(lists)),
             "--sources", "updates,search", "--top-pages", "2", "--query", "user",
             "--env-file", "/dev/null"],
            {"JIKAN_API_BASE_URL": fake_jikan.base_url}, logs / "discover.log",
        )  # fmt: skip
        found = len([n for n in names.read_text().splitlines() if n.strip()])
        collected = work / "collected"
        times["collect (fake MAL)"] = await run_step(
            "collect",
            ["-m", "training", "collect", "--usernames", str(names), "--out", str(collected),
             "--limit-rps", "0", "--env-file", "/dev/null"],
            {"MAL_API_BASE_URL": stack.mal.base_url, "MAL_CLIENT_ID": "fake"},
            logs / "collect.log",
        )  # fmt: skip
        usernames = newest_collected(collected, lists, args.members)
        on_lists = {u: {e[0] for e in lists[u]} for u in usernames}
        before: dict[str, list[int]] = {}
        for i, username in enumerate(usernames):
            link = await stack.discord.slash(
                stack.guild, stack.members[f"member{i}"], "link", username=username
            )
            print(f"  /link username:{username}: {link.text[:90]!r}", flush=True)
            before[username] = await recommend(
                stack, f"member{i}", args.count, on_lists[username],
                work / f"recommend-before-{username}.txt",
            )  # fmt: skip

        refresh = ["-m", "training", "refresh", "--data", "training/datasets/anime-5k",
                   "--data", str(collected), "--model", str(model), "--out",
                   str(work / "refresh"), "--config", args.config, "--quiet",
                   "--side-channel" if args.side_channel else "--no-side-channel"]  # fmt: skip
        if args.max_steps:
            refresh += ["--max-steps", str(args.max_steps)]
        log_mark = stack.bot.log_path.stat().st_size
        times["refresh (train, evaluate, promote)"] = await run_step(
            "refresh", refresh, {}, logs / "refresh.log"
        )
        report = json.loads((work / "refresh" / "report.json").read_text())
        if report["promoted"]:
            promoted_at = os.lstat(model).st_mtime
            await wait_for_swap(stack, log_mark, within=120.0)
            times["swap (promote → bot serving it)"] = time.time() - promoted_at
            after = {
                u: await recommend(
                    stack, f"member{i}", args.count, on_lists[u], work / f"recommend-after-{u}.txt"
                )
                for i, u in enumerate(usernames)
            }
        else:
            after = {}
        restarted = stack.bot.process.pid != pid or not stack.bot.running()
    return {
        "population": (len(lists), n_entries),
        "found": found,
        "usernames": usernames,
        "lists": {u: sorted(on_lists[u]) for u in usernames},
        "before": before,
        "after": after,
        "catalog": catalog,
        "corpus": {
            "before": corpus_of(args.model),
            "after": corpus_of(Path(report["candidate"])) if report["promoted"] else set(),
        },
        "report": report,
        "times": times,
        "restarted": restarted,
    }


def print_report(result: dict[str, Any], args: argparse.Namespace, total: float) -> None:
    report = result["report"]
    held = report["held_out"]
    print("\n=== the whole loop against the fakes ===")
    users, entries = result["population"]
    print(f"population: {users:,} lists, {entries:,} entries; discover found {result['found']:,}")
    print(f"refresh: --config {args.config}" + (f" --max-steps {args.max_steps}" if args.max_steps
          else "") + ("" if args.side_channel else " --no-side-channel")
          + f"; {report['side_channel']}; {report['decision']}")  # fmt: skip
    for step, seconds in result["times"].items():
        print(f"  {step:<38} {seconds:7.1f} s")
    print(f"  {'total':<38} {total:7.1f} s")
    print(
        f"held out: {held['users']:,} newest lists ({held['rule']}), "
        f"{held['held_out_entries']:,} held-out entries"
    )
    print("| model | titles | held-out entries it can return | Recall@20 | NDCG@100 |")
    print("|---|---|---|---|---|")
    for name, label in (("live", "default (starting)"), ("candidate", "refreshed")):
        row = report["results"].get(name)
        if row is not None:
            print(
                f"| {label} | {int(row['n_items']):,} | {100 * row['reachable']:.1f} % | "
                f"{row['recall@20']:.4f} | {row['ndcg@100']:.4f} |"
            )
    catalog, members = result["catalog"], len(result["usernames"])
    newer, known = newer_share([a for ids in result["lists"].values() for a in ids], catalog)
    print(
        f"{members} members linked the held-out lists {', '.join(result['usernames'])} "
        f"({newer} of {known} of their titles with a known year started after {NEWER_THAN}); "
        f"/recommend count:{args.count} each:"
    )
    for label in ("before", "after"):
        by_member = result[label]
        ids = [a for member_ids in by_member.values() for a in member_ids]
        newer, known = newer_share(ids, catalog)
        share = f"{100 * newer / known:.0f} %" if known else "n/a"
        in_corpus = sum(a in result["corpus"][label] for a in ids)
        each = ", ".join(f"{newer_share(v, catalog)[0]}/{len(v)}" for v in by_member.values())
        print(f"  {label}: {newer} of {known} recommended titles with a known year started after "
              f"{NEWER_THAN} ({share}; per member {each}; {upcoming(ids, catalog)} upcoming); "
              f"{in_corpus} of {len(ids)} from the model's corpus, the rest from the catalog "
              "side channel")  # fmt: skip
    print(f"bot restarted: {'yes' if result['restarted'] else 'no (same process)'}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m fakes.loopdemo",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--population", type=Path, required=True, help="Kaggle-layout rating.csv")
    parser.add_argument("--workdir", type=Path, default=Path("runs/loopdemo"))
    parser.add_argument(
        "--model", type=Path, default=ROOT / "artifacts" / "model", help="starting model (copied)"
    )
    parser.add_argument("--config", default="small", help="refresh --config (small)")
    parser.add_argument("--max-steps", type=int, help="refresh --max-steps (fewer: faster)")
    parser.add_argument("--watch-seconds", type=float, default=5.0, help="MODEL_WATCH_SECONDS")
    parser.add_argument("--count", type=int, default=25, help="/recommend count (1–25)")
    parser.add_argument(
        "--side-channel",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="refresh --side-channel (calibrate the candidate's catalog side channel)",
    )
    parser.add_argument("--members", type=int, default=5, help="held-out members asking (5)")
    args = parser.parse_args(argv)
    if not args.population.exists():
        print(f"no population file at {args.population}", file=sys.stderr)
        return 2
    if not (args.model / "manifest.json").exists():
        print(f"no model at {args.model} (run `make model`, or pass --model)", file=sys.stderr)
        return 2
    started = time.perf_counter()
    try:
        result = asyncio.run(loop(args))
    except (LoopError, StackError) as exc:
        print(f"\nloop failed: {exc}", file=sys.stderr)
        return 1
    print_report(result, args, time.perf_counter() - started)
    return 0


if __name__ == "__main__":
    sys.exit(main())
