"""``python -m training evaluate``: saved artifacts against the baselines, on held-out users.

The thin entry point of the evaluation (``training.evaluation``): tune EASE, DLAE and the item
bias on the validation users, then report on the test users (strong generalization,
``training.scenario``), per artifact (one, or one per seed with ``--seeds``):

* its variants (``training.evaluation.variants``): the item–item graft alone, graft + network as
  trained (and with α re-tuned where the artifact allows), the second stage when present;
* Recall@20/50, NDCG@100 and their ratios to EASE; discovery Recall@20 (only titles unrelated to
  the list ranked and counted, serving's ``franchise="new"``); the franchise share of the top-20
  from the catalog's MAL-asserted relations (``training.evaluation.franchise``); popularity
  percentile and coverage of the top-20;
* rating MAE on held-out scored entries (1–10): the rating head, user mean + item bias, the
  rating predictor when present;
* cost (``training.evaluation.cost``): training time, recommend latency vs EASE, memory.

Over several seeds every measure is reported as mean (min–max) (``training.evaluation.report``).
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from training.baselines import ItemBias, Popularity
from training.dataset import SPLIT_NAMES, TEST, VALIDATION, Dataset, add_options, options_from_args
from training.evaluate_seeds import DEFAULT_RUNS, finisher_seconds, train_seeds
from training.evaluation import cost, report
from training.evaluation.franchise import catalog_relation, unrelated_mask
from training.evaluation.measures import franchise_mask, ranking_metrics, rating_mae
from training.evaluation.scorers import Scorer
from training.evaluation.tuning import tune_bias, tune_dlae, tune_ease
from training.evaluation.variants import artifact_variants
from training.scenario import FoldIn, fold_in
from training.sources import open_sources

MODEL_LABELS = {
    "graft": "graft alone (DLAE item–item)",
    "model": "graft + network (first stage, as trained)",
    "model_alpha": "graft + network (α re-tuned on validation)",
    "rerank": "second stage (re-ranker, served when present)",
}
MAE_LABELS = {
    "model": "model rating head",
    "ratings": "fitted rating model (served when present)",
    "bias": "user mean + item bias",
}


@dataclass
class Context:
    """What every artifact evaluated on one dataset shares: the fold-ins, the franchise masks,
    the tuned baselines."""

    dataset: Dataset
    validation: FoldIn
    batch: FoldIn
    franchise: np.ndarray  # (B, N) related to the fold-in (MAL-asserted links)
    unrelated: np.ndarray  # (B, N) unrelated to the fold-in (serving's franchise="new")
    baselines: dict[str, Scorer] = field(default_factory=dict)
    ease_weights: np.ndarray | None = None
    bias: ItemBias | None = None
    info: dict[str, Any] = field(default_factory=dict)

    def rows(self, scorers: dict[str, Scorer]) -> report.Rows:
        counts = self.dataset.item_counts
        return {
            key: ranking_metrics(s, self.batch, counts, self.franchise, self.unrelated)
            for key, s in scorers.items()
        }

    @property
    def labels(self) -> dict[str, str]:
        return {
            **MODEL_LABELS,
            "ease": f"EASE (λ={self.info['ease_lambda']:g}, Steck 2019)",
            "dlae": f"DLAE tuned here ({self.info['dlae']}, Steck 2020)",
            "popularity": "popularity",
        }


def prepare(dataset: Dataset, part: int = TEST, catalog: Any = None) -> Context:
    """Fold-ins, catalog masks and the baselines tuned on the validation users."""
    from model.catalog import Catalog
    from model.coldstart.index import TitleIndex

    catalog = catalog if catalog is not None else Catalog.load()
    validation = fold_in(dataset, dataset.users(VALIDATION))
    batch = fold_in(dataset, dataset.users(part))
    related = catalog_relation(catalog, dataset.corpus_ids)
    unrelated = unrelated_mask(TitleIndex(catalog), dataset.corpus_ids, batch.presence)
    held = batch.held_out > 0
    ctx = Context(dataset, validation, batch, franchise_mask(batch, related), unrelated)
    start = time.perf_counter()
    ease, ease_sweep = tune_ease(dataset, validation)
    ease_seconds = time.perf_counter() - start
    dlae, dlae_sweep = tune_dlae(dataset, validation)
    ctx.bias, bias_sweep = tune_bias(dataset, validation)
    ctx.ease_weights = ease.weights
    ctx.baselines = {"ease": ease, "dlae": dlae, "popularity": Popularity().fit(dataset)}
    ctx.info = {
        "split": SPLIT_NAMES[part],
        "n_users": len(batch.users),
        "catalog_titles": len(catalog),
        "corpus_links_mal_asserted": int(related.sum() // 2),
        "discovery_users": int((held & unrelated).any(axis=1).sum()),
        "unrelated_held_out_share": float((held & unrelated).sum() / max(held.sum(), 1)),
        "ease_lambda": ease.lam,
        "ease_validation_ndcg": {str(k): v for k, v in ease_sweep.items()},
        "ease_sweep_seconds": round(ease_seconds, 1),
        "dlae": f"p={dlae.dropout:g}, λ={dlae.lam:g}",
        "dlae_validation_ndcg": dlae_sweep,
        "bias_shrinkage": ctx.bias.shrinkage,
        "bias_validation_mae": {str(k): v for k, v in bias_sweep.items()},
    }
    return ctx


def evaluate_models(
    model_dirs: Sequence[Path],
    dataset: Dataset,
    *,
    part: int = TEST,
    catalog: Any = None,
    latency: bool = True,
    optional: bool = True,
) -> dict[str, Any]:
    """Every artifact of ``model_dirs`` (e.g. one per seed) with the baselines, summarized."""
    ctx = prepare(dataset, part, catalog)
    base = ctx.rows(ctx.baselines)
    assert ctx.bias is not None
    base_mae = rating_mae(ctx.bias, ctx.batch)
    runs, maes, notes = [], [], []
    for model_dir in model_dirs:
        variants = artifact_variants(model_dir, dataset, ctx.validation, optional=optional)
        runs.append(report.with_ratios({**ctx.rows(variants.scorers), **base}))
        maes.append(
            {
                **{k: {"mae": rating_mae(p, ctx.batch)} for k, p in variants.predictors.items()},
                "bias": {"mae": base_mae},
            }
        )
        notes.append({"model": str(model_dir), **variants.notes})
        for command, seconds in finisher_seconds(model_dir).items():
            notes[-1]["training"][f"{command} seconds"] = seconds
    ranking, mae = report.summarize(runs), report.summarize(maes)
    training = report.summarize(
        [{"training": n["training"]} for n in notes if n.get("training")]
    ).get("training", {})
    costs: dict[str, Any] = {"training": training}
    if latency and model_dirs and ctx.ease_weights is not None:
        lists = [dataset.entries(int(u)) for u in dataset.users(part)]
        costs["latency"] = cost.serving_latency(model_dirs[0], ctx.ease_weights, lists)
    costs["memory"] = cost.memory(model_dirs[0], dataset.n_items) if model_dirs else None
    tables = report.report_tables(ranking, mae, ctx.labels, MAE_LABELS)
    return {
        **ctx.info,
        "models": [str(m) for m in model_dirs],
        "results": {k: {m: s["mean"] for m, s in row.items()} for k, row in ranking.items()},
        "mae": {k: row["mae"]["mean"] for k, row in mae.items()},
        "summary": ranking,
        "mae_summary": mae,
        "per_model": notes,
        "per_model_results": runs,
        "cost": costs,
        "table": tables + "\n\n" + cost_table(costs) + "\n\n" + notes_lines(notes),
    }


def evaluate_artifact(
    model_dir: Path, dataset: Dataset, *, part: int = TEST, catalog: Any = None
) -> dict[str, Any]:
    """One artifact (no latency run): :func:`evaluate_models` of ``[model_dir]``."""
    return evaluate_models([Path(model_dir)], dataset, part=part, catalog=catalog, latency=False)


def notes_lines(notes: Sequence[dict[str, Any]]) -> str:
    """Per artifact: the residual scale α and its validation sweep, and why an optional row
    (second stage, rating predictor) is missing."""
    lines = []
    for note in notes:
        sweep = note.get("residual_scale_validation_ndcg") or {}
        swept = ", ".join(f"α={a}: {v:.4f}" for a, v in sweep.items())
        retuned = note.get("alpha_retuned")
        alpha = retuned.get("alpha") if isinstance(retuned, dict) else note.get("residual_scale")
        extra = "; ".join(f"{k}: {note[k]}" for k in ("rerank", "ratings") if k in note)
        lines.append(f"- {note['model']}: α = {alpha} (validation NDCG@100 {swept}); {extra}")
    return "\n".join(lines)


def cost_table(costs: dict[str, Any]) -> str:
    """Training time, serving latency against EASE's scoring, and memory, as Markdown."""
    lines = ["| cost | value |", "|---|---|"]
    if "total_seconds" in costs["training"]:
        seconds = report.cell(costs["training"]["total_seconds"], 1)
        lines.append(f"| training (s, the artifact's record) | {seconds} |")
    for key, stats in costs["training"].items():
        if key.startswith("fit-"):
            name = key.removesuffix(" seconds")
            lines.append(f"| {name} (s, wall, evaluate --seeds) | {report.cell(stats, 0)} |")
    latency = costs.get("latency")
    if latency:
        n, entries = latency["profiles"], latency["entries"]
        load = latency.get("load_average_1min", float("nan"))
        lines.append(
            f"| load average while timed (1 min; other processes share the cores) | {load:.1f} |"
        )
        timed = latency.keys() - {"ease", "profiles", "entries", "load_average_1min"}
        for name in sorted(timed, key=lambda n: (n.endswith("explained"), "first stage" in n)):
            row, title = latency[name], f"recommend, {name}"
            lines.append(
                f"| {title} p50 / p95 (ms, {entries} entries, {n} lists) | {row['p50_ms']:.2f} / "
                f"{row['p95_ms']:.2f} ({row['x_ease_p50']:.2f}× EASE's p50) |"
            )
        ease = latency["ease"]
        timing = f"{ease['p50_ms']:.2f} / {ease['p95_ms']:.2f}"
        lines.append(f"| EASE scoring p50 / p95 (ms, same lists) | {timing} |")
    memory = costs.get("memory")
    if memory:
        lines.append(f"| artifact on disk (MB, memory-mapped) | {memory['artifact_mb']:.0f} |")
        lines.append(f"| EASE's matrix (MB) | {memory['ease_matrix_mb']:.0f} |")
        lines.append(f"| evaluation process peak RSS (MB) | {memory['process_peak_rss_mb']:.0f} |")
    return "\n".join(lines)


def _evaluate_command(args: argparse.Namespace) -> int:
    dataset = open_sources(args.data, options_from_args(args))
    part = {"test": TEST, "validation": VALIDATION}[args.split]
    if args.seeds:
        models = train_seeds(
            dataset, range(args.seeds), Path(args.runs), data=args.data, retrain=args.retrain
        )
    elif args.model:
        models = [Path(args.model)]
    else:
        print("error: --model DIR or --seeds N", flush=True)
        return 2
    catalog = None
    if args.catalog:
        from model.catalog import Catalog

        catalog = Catalog.load(args.catalog)
    result = evaluate_models(
        models, dataset, part=part, catalog=catalog, latency=not args.no_latency
    )
    print(result["table"])
    if args.out:
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, indent=2) + "\n")
        out.with_suffix(".md").write_text(result["table"] + "\n")
        print(f"wrote {out} and {out.with_suffix('.md')}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "evaluate", help="strong-generalization evaluation against EASE and popularity"
    )
    parser.add_argument("--model", help="artifact directory (without --seeds)")
    parser.add_argument(
        "--seeds",
        type=int,
        default=0,
        help="train (or reuse) this many seeds of the default recipe under --runs and report "
        "the spread over them instead of --model",
    )
    parser.add_argument("--runs", default=str(DEFAULT_RUNS), help="where --seeds trains")
    parser.add_argument("--retrain", action="store_true", help="retrain seeds that exist")
    parser.add_argument(
        "--data",
        required=True,
        action="append",
        help="data folder or file, a built .npz, or a database URL; repeat to merge sources "
        "(newest list per user, training.lifecycle.sources)",
    )
    parser.add_argument("--catalog", help="catalog file (default: the shipped one)")
    parser.add_argument("--out", help="write the report here (JSON) and a .md table beside it")
    parser.add_argument("--split", choices=("test", "validation"), default="test")
    parser.add_argument("--no-latency", action="store_true", help="skip the serving timing")
    add_options(parser)
    parser.set_defaults(handler=_evaluate_command)
