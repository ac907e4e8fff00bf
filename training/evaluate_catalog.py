"""``python -m training evaluate-catalog``: what the catalog side channel adds, measured.

* **mal-2021** (real 2021 lists, none used for fitting): each list split 80/20 (the scenario's
  shuffle, one seed per run); coverage = per list, the share of held-out entries the ranking can
  return (before: titles in the network's corpus; after: catalog titles, and those known to be
  safe); Recall@20 and NDCG@100 (Liang et al. 2018, as ``training.metrics``) of the served
  ranking (top 100, the franchise grouping on, NSFW allowed so that both rank the same titles)
  for the network alone and the mixed ranking, over all held-out entries and over those
  outside the corpus.
* **cold start** (anime-5k test users): a seeded 10% of the corpus hidden from the network as if
  new (``training.coldstart``), ranked by the side channel among every corpus title; Recall@20 and
  NDCG@100 of the held-out entries, all and hidden ones, for the network that knows everything,
  the network with hidden titles unreachable, and the mixed ranking.
* **serving**: ``Recommender.recommend`` latency at 150 entries, without and with the catalog.

Everything is reported as mean ± std over the seeds.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from model.coldstart.calibration import Calibration, find_calibration
from model.coldstart.index import TitleIndex
from model.profile import ProfileEntry
from model.recommender import RecommendationQuery, Recommender
from training import metrics
from training.coldstart import corpus_rows, hidden_cases, hide, member_lists, split_list
from training.data.kaggle import load_profiles
from training.dataset import TEST, add_options, open_dataset, options_from_args

SEEDS = (0, 1, 2)


def list_metrics(top: Sequence[int], held: set[int], k: int) -> tuple[float, float]:
    """(Recall@k, NDCG@k) of one ranked list against held-out ids (Liang et al. 2018, binary
    relevance; the formulas of ``training.metrics``); NaN when nothing is held out."""
    if not held:
        return float("nan"), float("nan")
    hits = np.asarray([a in held for a in top[:k]], dtype=float)
    recall = hits.sum() / min(k, len(held))
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    dcg = float((hits * discounts[: len(hits)]).sum())
    idcg = float(discounts[: min(k, len(held))].sum())
    return float(recall), dcg / idcg


def _spread(values: Sequence[float]) -> dict[str, float]:
    vals = [float(v) for v in values]
    return {
        "mean": round(statistics.fmean(vals), 4),
        "std": round(statistics.pstdev(vals), 4) if len(vals) > 1 else 0.0,
    }


def mal2021(
    before: Recommender, after: Recommender, lists: Sequence[list[ProfileEntry]], seed: int
) -> dict[str, float]:
    """One split seed of the mal-2021 measures."""
    assert after.mixing is not None
    index = after.mixing.index
    safe = index.nsfw_known_safe
    rng = np.random.default_rng(seed)
    splits = [split_list(entries, rng) for entries in lists]
    query = RecommendationQuery(100, explain=False, allow_nsfw=True)
    ungrouped = RecommendationQuery(100, explain=False, allow_nsfw=True, franchise_rules=False)
    out: dict[str, list[float]] = {}

    def add(name: str, value: float) -> None:
        out.setdefault(name, []).append(value)

    folds = [f for f, _ in splits]
    ranked = {
        "before": before.recommend_batch(folds, query)[0],
        "after": after.recommend_batch(folds, query)[0],
        "after_no_franchise_rules": after.recommend_batch(folds, ungrouped)[0],
    }
    for i, (_, held) in enumerate(splits):
        ids = {e.anime_id for e in held}
        outside = {a for a in ids if before.position(a) is None}
        rows = [index.row(a) for a in ids]
        add("coverage_before", sum(before.position(a) is not None for a in ids) / len(ids))
        add("coverage_after", sum(r is not None for r in rows) / len(ids))
        add("coverage_after_safe", sum(r is not None and bool(safe[r]) for r in rows) / len(ids))
        add("outside_share", len(outside) / len(ids))
        for name, recs in ranked.items():
            top = [r.anime_id for r in recs[i]]
            r20, _ = list_metrics(top, ids, 20)
            _, n100 = list_metrics(top, ids, 100)
            add(f"recall@20_{name}", r20)
            add(f"ndcg@100_{name}", n100)
            r20o, _ = list_metrics(top, outside, 20)
            _, n100o = list_metrics(top, outside, 100)
            add(f"recall@20_outside_{name}", r20o)
            add(f"ndcg@100_outside_{name}", n100o)
    return {k: float(np.nanmean(v)) for k, v in out.items()}


def cold_start(
    rec: Recommender,
    index: TitleIndex,
    calibration: Calibration,
    lists: Sequence[list[ProfileEntry]],
    seed: int,
) -> dict[str, float]:
    """One hidden-title seed of the cold-start measures on ``lists`` (test users)."""
    rows = corpus_rows(rec, index)
    hidden = hide(rec.n_items, seed) & (rows >= 0)
    full = np.zeros(rec.n_items, bool)
    n = rec.n_items
    scores: dict[str, list[np.ndarray]] = {"network_knows_all": [], "network_only": [], "mixed": []}
    held_rows, hidden_rows = [], []
    oracle = hidden_cases(rec, index, lists, full)
    for case, known in zip(hidden_cases(rec, index, lists, hidden), oracle, strict=True):
        folded = np.zeros(n, bool)
        folded[case.folded] = True
        target = np.zeros(n, bool)
        target[case.held] = True
        base = known.log_scores if known.log_scores is not None else np.zeros(n)
        scores["network_knows_all"].append(np.where(folded, -np.inf, base))
        net = case.log_scores if case.log_scores is not None else np.full(n, -50.0)
        net = net + np.where(rows >= 0, case.feats.corpus[rows] @ calibration.theta_corpus, 0.0)
        scores["network_only"].append(np.where(folded | hidden, -np.inf, net))
        side = np.where(rows >= 0, case.feats.new[rows] @ calibration.theta_new, -np.inf)
        scores["mixed"].append(np.where(folded, -np.inf, np.where(hidden, side, net)))
        held_rows.append(target)
        hidden_rows.append(target & hidden)
    held, held_hidden = np.asarray(held_rows), np.asarray(hidden_rows)
    out = {}
    for name, rows_ in scores.items():
        s = np.asarray(rows_)
        out[f"recall@20_{name}"] = float(np.nanmean(metrics.recall_at_k(s, held, 20)))
        out[f"ndcg@100_{name}"] = float(np.nanmean(metrics.ndcg_at_k(s, held, 100)))
        out[f"recall@20_hidden_{name}"] = float(np.nanmean(metrics.recall_at_k(s, held_hidden, 20)))
        out[f"ndcg@100_hidden_{name}"] = float(np.nanmean(metrics.ndcg_at_k(s, held_hidden, 100)))
    return out


def latency(
    before: Recommender, after: Recommender, lists: Sequence[list[ProfileEntry]], repeats: int = 5
) -> dict[str, float]:
    """Milliseconds per ``recommend`` call at 150 entries (k=10), unexplained and explained: per
    profile the fastest of ``repeats`` calls (the least disturbed by other processes), then the
    median over profiles."""
    profiles = [entries[:150] for entries in lists if len(entries) >= 150][:30]
    out: dict[str, float] = {}
    for explain in (False, True):
        query = RecommendationQuery(10, explain=explain, allow_nsfw=True)
        tag = "explained" if explain else "ranked"
        for name, rec in (("before", before), ("after", after)):
            fastest = []
            for p in profiles:
                times = []
                for _ in range(repeats):
                    start = time.perf_counter()
                    rec.recommend(p, query)
                    times.append(time.perf_counter() - start)
                fastest.append(min(times))
            out[f"{tag}_{name}_ms"] = 1000 * statistics.median(fastest)
        out[f"{tag}_ratio"] = out[f"{tag}_after_ms"] / out[f"{tag}_before_ms"]
    out["profiles"] = len(profiles)
    return out


def _table(rows: dict[str, dict[str, dict[str, float]]]) -> str:
    lines = []
    for section, measures in rows.items():
        lines.append(f"\n### {section}\n\n| measure | mean ± std |\n|---|---|")
        for name, v in measures.items():
            lines.append(f"| {name} | {v['mean']:.4f} ± {v['std']:.4f} |")
    return "\n".join(lines)


def _run(
    seeds: Sequence[int], fn: Callable[[int], dict[str, float]]
) -> dict[str, dict[str, float]]:
    per_seed = [fn(s) for s in seeds]
    return {k: _spread([r[k] for r in per_seed]) for k in per_seed[0]}


def _command(args: argparse.Namespace) -> int:
    from model.catalog import Catalog

    index = TitleIndex(Catalog.load(args.catalog))
    calibration = find_calibration(args.model)
    before = Recommender.load(args.model, workers=1)
    after = Recommender.load(args.model, workers=1, catalog=index, calibration=calibration)
    seeds = [int(s) for s in args.seeds.split(",")]
    report: dict[str, Any] = {
        "model": args.model,
        "calibration": calibration.to_json(),
        "seeds": seeds,
    }
    results: dict[str, dict[str, dict[str, float]]] = {}
    if args.fresh:
        lists = [e for e in load_profiles(Path(args.fresh) / "rating.csv").values() if len(e) >= 5]
        report["mal2021_lists"] = len(lists)
        results["mal-2021"] = _run(seeds, lambda s: mal2021(before, after, lists, s))
        report["latency"] = latency(before, after, lists)
    if args.data:
        dataset = open_dataset(args.data, options_from_args(args))
        test = member_lists(dataset, TEST)
        report["cold_start_users"] = len(test)
        results["cold start (anime-5k test)"] = _run(
            seeds, lambda s: cold_start(before, index, calibration, test, s)
        )
    report["results"] = results
    print(_table(results))
    if "latency" in report:
        print("\nlatency:", json.dumps({k: round(v, 3) for k, v in report["latency"].items()}))
    if args.out:
        Path(args.out).write_text(json.dumps(report, indent=2) + "\n")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "evaluate-catalog", help="coverage, accuracy and cost of the catalog side channel"
    )
    parser.add_argument("--model", required=True, help="artifact directory (with coldstart.json)")
    parser.add_argument("--data", help="the model's data (cold start on its test users)")
    parser.add_argument("--fresh", help="a folder with rating.csv of other lists (mal-2021)")
    parser.add_argument("--catalog", help="catalog file (default: the shipped one)")
    parser.add_argument("--seeds", default=",".join(map(str, SEEDS)))
    parser.add_argument("--out", help="write the report here (JSON)")
    add_options(parser)
    parser.set_defaults(handler=_command)
