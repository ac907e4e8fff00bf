"""``python -m training refresh --data … --model MODEL_PATH``: a better model out, never worse.

1. **Build**: the sources merged (``training.sources``: newest list per user; new titles enter
   the corpus by the dataset's min-users rule), the titles of the live model filling names the
   sources lack.
2. **Hold out the newest lists**: ``--holdout-fraction`` (default 10 %, at most
   ``--max-holdout``) of the dated lists (collector fetches, the bot's last syncs), latest first;
   when no list carries a time, a seeded random draw of all lists. The candidate never trains on
   them.
3. **Train** the candidate on the others (``training.train.run_training``, early stopping on its
   own validation users), export it under ``--out``, calibrate its catalog side channel
   (``training.coldstart``, what ``make model`` runs as ``fit-coldstart``) and fit its
   predicted-score model (``training.ratings``, ``fit-ratings``) and its second stage
   (``training.rerank``, ``fit-rerank``).
4. **Evaluate** candidate and live model on the same held-out lists
   (``training.evaluation.holdout``: one 80/20 split of each list, each model ranks its own
   corpus, every held-out entry counts).
5. **Promote** (``training.lifecycle.promote``) only if the candidate's NDCG@100 is at least the
   live model's minus ``--tolerance`` (default 0.005, absolute: about the standard error of
   NDCG@100 over a few hundred users). With no live model, a loadable candidate is promoted.
6. **Report**: ``report.json`` and ``report.md`` in ``--out``, and a summary in
   ``<MODEL_PATH parent>/models/last-refresh.json`` for the bot's ``/model``.

Without ``--data`` (the bot's scheduled refresh runs ``refresh --to MODEL_PATH``) the sources are
the shipped anime-5k sample, ``data/collected`` when it exists and the bot's database
(``DATABASE_URL``, as the bot reads it) when it exists.

The live model may have trained on older copies of the held-out users' lists (or, with the same
data, on those lists): the comparison then favours it, which errs on the side of keeping it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from training.configs import CONFIGS, TrainConfig
from training.dataset import DatasetOptions, add_options, options_from_args
from training.evaluation.holdout import HeldOutLists, evaluate_artifact_on_lists, split_lists
from training.lifecycle.promote import PromoteError, live_version, promote, stamp, versions_dir
from training.sources import MergedLists, merge_sources

TOLERANCE = 0.005
LAST_REFRESH = "last-refresh.json"  # the bot's /model reads it (bot.services.modelinfo)
HOLDOUT_FRACTION = 0.1
MAX_HOLDOUT = 1000
HOLDOUT_SEED = 20261129


@dataclass(frozen=True)
class RefreshSettings:
    """What a refresh reads, trains and decides with."""

    data: tuple[str, ...]
    model_path: Path
    out: Path
    config: TrainConfig
    options: DatasetOptions = field(default_factory=DatasetOptions)
    tolerance: float = TOLERANCE
    holdout_fraction: float = HOLDOUT_FRACTION
    max_holdout: int = MAX_HOLDOUT
    promote: bool = True
    progress: bool = True
    side_channel: bool = True


def newest_users(merged: MergedLists, fraction: float, limit: int, min_entries: int) -> list[str]:
    """The keys of the newest lists: ``fraction`` of the dated lists with at least
    ``min_entries`` input entries (at most ``limit``), latest first (ties by key); a seeded
    random ``fraction`` of all such lists when none is dated."""
    eligible = sorted(
        k
        for k, entries in merged.profiles.items()
        if sum(e.enters_input for e in entries) >= min_entries
    )
    dated = [k for k in eligible if merged.updated.get(k) is not None]
    pool = dated or eligible
    n = min(limit, max(1, round(fraction * len(pool)))) if pool else 0
    if dated:
        dated.sort(key=lambda k: (-merged.updated[k].timestamp(), k))  # type: ignore[union-attr]
        return dated[:n]
    rng = np.random.default_rng(HOLDOUT_SEED)
    return sorted(str(k) for k in rng.choice(eligible, size=n, replace=False))


SHIPPED_DATA = Path(__file__).resolve().parents[1] / "datasets" / "anime-5k"
COLLECTED = Path("data/collected")


def database_url() -> str:
    """``DATABASE_URL`` from the environment or ``.env``, with the bot's default."""
    from pydantic_settings import BaseSettings, SettingsConfigDict

    from common.settings import ENV_FILE, Settings

    class DatabaseSettings(BaseSettings):
        model_config = SettingsConfigDict(
            env_file=ENV_FILE, env_file_encoding="utf-8", extra="ignore", case_sensitive=False
        )
        database_url: str = Settings.model_fields["database_url"].default

    return DatabaseSettings().database_url


def default_sources() -> list[str]:
    """What a refresh without ``--data`` reads: the shipped sample, ``data/collected`` when it
    exists, and the bot's database (``DATABASE_URL``) when it is not a missing SQLite file."""
    from sqlalchemy.engine import make_url

    sources = [str(SHIPPED_DATA)]
    if COLLECTED.is_dir():
        sources.append(str(COLLECTED))
    url = database_url()
    parsed = make_url(url)
    database = parsed.database or ""
    if parsed.get_backend_name() != "sqlite" or Path(database).is_file():
        sources.append(url)
    return sources


def fit_side_channel(candidate_dir: Path, dataset: Any) -> str:
    """Calibrate the catalog side channel for the candidate on its validation users, as
    ``make model`` does with ``python -m training fit-coldstart`` (``DIR/coldstart.json``)."""
    from model.coldstart.calibration import SIDECAR, fit_calibration
    from training.coldstart import SEEDS, choice_sets, member_lists, open_model
    from training.dataset import VALIDATION

    recommender, index = open_model(str(candidate_dir), None)
    try:
        sets = choice_sets(recommender, index, member_lists(dataset, VALIDATION), SEEDS)
    finally:
        recommender.close()
    calibration = fit_calibration(
        sets, info={"data": "refresh", "split": "validation", "seeds": list(SEEDS)}
    )
    calibration.save(candidate_dir / SIDECAR)
    return f"side channel calibrated on {len(sets):,} choice sets"


def decide(candidate: dict[str, float], live: dict[str, float] | None, tolerance: float) -> bool:
    """Promote when there is no live model or the candidate's NDCG@100 ≥ live − tolerance."""
    return live is None or candidate["ndcg@100"] >= live["ndcg@100"] - tolerance


def markdown(report: dict[str, Any]) -> str:
    """The report as a short markdown page."""
    held = report["held_out"]
    lines = [
        f"# Model refresh {report['started_at']}",
        "",
        f"Data: {', '.join(report['data'])}. Corpus {report['candidate_data']['n_items']:,} "
        f"titles, {report['candidate_data']['n_users']:,} training users.",
        f"Held out: the {held['users']:,} newest lists ({held['rule']}), "
        f"{held['held_out_entries']:,} held-out entries.",
        "",
        "| model | titles | reachable | Recall@20 | Recall@50 | NDCG@100 |",
        "|---|---|---|---|---|---|",
    ]
    for name in ("live", "candidate"):
        row = report["results"].get(name)
        if row is None:
            continue
        lines.append(
            f"| {name} | {int(row['n_items']):,} | {row['reachable']:.4f} | "
            f"{row['recall@20']:.4f} | {row['recall@50']:.4f} | {row['ndcg@100']:.4f} |"
        )
    lines += ["", f"Decision: {report['decision']}"]
    return "\n".join(lines) + "\n"


def run_refresh(settings: RefreshSettings, log: Callable[[str], Any] = print) -> dict[str, Any]:
    """Build, train, evaluate and (if not worse) promote; returns the report (module doc)."""
    from model.artifact import ArtifactError, load_artifact
    from training.data.kaggle import AnimeInfo
    from training.train import export, run_training

    started = datetime.now(UTC)
    clock = time.perf_counter()
    settings.out.mkdir(parents=True, exist_ok=True)
    merged = merge_sources(settings.data)
    for line in merged.report:
        log(line)
    live_dir = live_version(settings.model_path)
    live = None
    if live_dir is not None:
        try:
            live = load_artifact(live_dir)
        except ArtifactError as error:
            log(f"the live model cannot be read ({error}); the candidate competes with none")
    if live is not None:
        for item in live.items:
            info = AnimeInfo(
                item["anime_id"], item["title"], (), item["media_type"], None, None, None
            )
            merged.anime.setdefault(int(item["anime_id"]), info)

    held_keys = newest_users(
        merged, settings.holdout_fraction, settings.max_holdout, settings.options.min_user_entries
    )
    timed = any(merged.updated.get(k) is not None for k in held_keys)
    split: HeldOutLists = split_lists({k: merged.profiles[k] for k in held_keys})
    rule = "latest list times" if timed else "no list has a time: a seeded random draw"
    log(f"held out {len(split.keys):,} lists ({rule})")

    dataset, _ = merged.dataset(settings.options, exclude=held_keys)
    log(f"candidate data: {dataset.n_items:,} titles, {dataset.n_users:,} users")
    result, metadata = run_training(
        dataset,
        settings.config,
        checkpoint_dir=settings.out / "checkpoint",
        progress=settings.progress,
        log=log,
    )
    metadata["refresh"] = {"held_out_users": len(split.keys), "started_at": started.isoformat()}
    candidate_dir = export(result, dataset, metadata, settings.out / "candidate")
    side_channel = "side channel not calibrated (--no-side-channel)"
    if settings.side_channel:
        try:
            side_channel = fit_side_channel(candidate_dir, dataset)
        except Exception as error:  # the model serves without it (default calibration)
            side_channel = f"side channel not calibrated ({type(error).__name__}: {error})"
    log(side_channel)
    try:
        from training.ratings.command import fit_for_artifact

        log(fit_for_artifact(candidate_dir, dataset))
    except Exception as error:  # the model serves its rating head's scores without it
        log(f"rating model not fitted ({type(error).__name__}: {error})")
    try:
        from training.rerank.command import fit_for_artifact as fit_second_stage

        log(fit_second_stage(candidate_dir, dataset, log=log))
    except Exception as error:  # the candidate ranks with its first stage alone
        log(f"second stage not fitted ({type(error).__name__}: {error})")
    candidate = load_artifact(candidate_dir)
    results = {"candidate": evaluate_artifact_on_lists(candidate, split)}
    if live is not None:
        results["live"] = evaluate_artifact_on_lists(live, split)
    better = decide(results["candidate"], results.get("live"), settings.tolerance)
    if not better:
        decision = (
            f"kept {live_dir.name if live_dir else 'the live model'}: candidate NDCG@100 "
            f"{results['candidate']['ndcg@100']:.4f} < live {results['live']['ndcg@100']:.4f} "
            f"− {settings.tolerance}"
        )
    elif not settings.promote:
        decision = "not promoted (--no-promote); the candidate is not worse"
    else:
        try:
            done = promote(candidate_dir, settings.model_path)
            decision = f"promoted: {settings.model_path} -> {done.live.name}"
        except PromoteError as error:
            better, decision = False, f"refused: {error}"
    report = {
        "started_at": stamp(started),
        "seconds": round(time.perf_counter() - clock, 1),
        "data": list(settings.data),
        "sources": merged.report,
        "model_path": str(settings.model_path),
        "live_version": live_dir.name if live_dir else None,
        "candidate": str(candidate_dir),
        "candidate_data": {
            k: v for k, v in dataset.summary().items() if k not in ("options", "sources")
        },
        "held_out": {**split.summary(), "rule": rule},
        "side_channel": side_channel,
        "tolerance": settings.tolerance,
        "results": results,
        "promoted": better and decision.startswith("promoted"),
        "decision": decision,
    }
    (settings.out / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    (settings.out / "report.md").write_text(markdown(report))
    write_last_refresh(settings.model_path, report, settings.out)
    log(decision)
    return report


def last_refresh_summary(report: dict[str, Any], out: Path) -> dict[str, Any]:
    """The report in the flat shape ``/model`` shows (scalars, then one object of numbers per
    line): decision first, each model's measures, where the full report is."""
    keep = ("n_items", "reachable", "recall@20", "ndcg@100")
    return {
        "decision": report["decision"],
        "promoted": report["promoted"],
        "finished_at": stamp(datetime.now(UTC)),
        "seconds": report["seconds"],
        **{
            name: {k: round(v, 4) for k, v in row.items() if k in keep}
            for name, row in report["results"].items()
        },
        "held_out": report["held_out"],
        "tolerance": report["tolerance"],
        "data": ", ".join(report["data"]),
        "report": str(out / "report.md"),
    }


def write_last_refresh(model_path: Path, report: dict[str, Any], out: Path) -> Path:
    """``<models dir>/last-refresh.json`` (what the bot's ``/model`` reads), replaced atomically."""
    folder = versions_dir(model_path)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / LAST_REFRESH
    tmp = folder / f".{LAST_REFRESH}.tmp"
    tmp.write_text(json.dumps(last_refresh_summary(report, out), indent=1) + "\n")
    os.replace(tmp, path)
    return path


def _refresh_command(args: argparse.Namespace) -> int:
    from model.profile import ListFormatError

    config = CONFIGS[args.config].with_overrides(max_steps=args.max_steps, seed=args.seed)
    out = args.out or Path("runs") / f"refresh-{stamp(datetime.now(UTC))}"
    settings = RefreshSettings(
        data=tuple(args.data or default_sources()),
        model_path=args.model,
        out=out,
        config=config,
        options=options_from_args(args),
        tolerance=args.tolerance,
        holdout_fraction=args.holdout_fraction,
        max_holdout=args.max_holdout,
        promote=args.promote,
        progress=not args.quiet,
        side_channel=args.side_channel,
    )
    try:
        report = run_refresh(settings, log=lambda line: print(line, file=sys.stderr))
    except ListFormatError as error:
        print(f"refresh stopped: {error}; nothing was promoted.", file=sys.stderr)
        return 2
    print(markdown(report))
    print(f"wrote {out / 'report.json'} and {out / 'report.md'}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "refresh", help="train on merged sources, compare with the live model, promote if not worse"
    )
    parser.add_argument(
        "--data",
        action="append",
        help="a source; repeat to merge (default: the shipped anime-5k sample, data/collected "
        "when present, and DATABASE_URL's database when present)",
    )
    parser.add_argument(
        "--model", "--to", dest="model", type=Path, required=True, help="MODEL_PATH (live link)"
    )
    parser.add_argument(
        "--out", type=Path, help="candidate and report (default runs/refresh-<UTC>)"
    )
    parser.add_argument("--config", choices=sorted(CONFIGS), default="small")
    parser.add_argument("--max-steps", type=int)
    parser.add_argument("--seed", type=int)
    parser.add_argument("--tolerance", type=float, default=TOLERANCE, help="NDCG@100, absolute")
    parser.add_argument("--holdout-fraction", type=float, default=HOLDOUT_FRACTION)
    parser.add_argument("--max-holdout", type=int, default=MAX_HOLDOUT)
    parser.add_argument(
        "--promote",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="promote if not worse",
    )
    parser.add_argument(
        "--side-channel",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="calibrate the catalog side channel for the candidate (fit-coldstart)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    add_options(parser)
    parser.set_defaults(handler=_refresh_command)
