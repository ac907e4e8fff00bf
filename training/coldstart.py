"""``python -m training fit-coldstart``: the side channel's calibration, fitted on validation users.

Known titles are hidden from the network as if they were new (a seeded 10% of the corpus per
seed): for each validation member the list is split 80/20 like the strong-generalization
scenario (``training.scenario``), the fold-in's entries of hidden titles are taken out of the
network's input (they still feed the side channel, as unknown entries do at serving), and the
held-out titles are the choices the conditional logit of ``model.coldstart.calibration`` learns
to predict among every corpus title not in the fold-in: the network's log score for titles it
still knows, the side channel's features for the hidden ones. The fitted parameters go to
``DIR/coldstart.json`` (or ``--out``), which ``Recommender(catalog=...)`` reads.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from model.coldstart.calibration import SIDECAR, ChoiceSet, choice_set, fit_calibration
from model.coldstart.features import ProfileFeatures, profile_features
from model.coldstart.index import TitleIndex
from model.profile import ProfileEntry, dedupe
from model.recommender import Recommender
from training.dataset import VALIDATION, Dataset, add_options, open_dataset, options_from_args
from training.scenario import HOLDOUT_FRACTION, HOLDOUT_SEED

HIDE_FRACTION = 0.1
SEEDS = (0, 1, 2)


def split_list(
    entries: Sequence[ProfileEntry], rng: np.random.Generator, fraction: float = HOLDOUT_FRACTION
) -> tuple[list[ProfileEntry], list[ProfileEntry]]:
    """(fold-in, held out) of one list: ``training.scenario.fold_in``'s shuffle and 80/20 cut."""
    order = rng.permutation(len(entries))
    n_held = max(1, round(fraction * len(entries)))
    return [entries[i] for i in order[n_held:]], [entries[i] for i in order[:n_held]]


@dataclass(frozen=True)
class HiddenCase:
    """One member with hidden titles: the network's log scores (None when it knows no fold-in
    entry), the side channel's features, fold-in and held-out corpus positions."""

    log_scores: np.ndarray | None
    feats: ProfileFeatures
    folded: np.ndarray
    held: np.ndarray


def hidden_cases(
    rec: Recommender,
    index: TitleIndex,
    lists: Sequence[Sequence[ProfileEntry]],
    hidden: np.ndarray,
    *,
    seed: int = HOLDOUT_SEED,
    batch: int = 64,
) -> Iterator[HiddenCase]:
    """Each list split 80/20, the fold-in without the ``hidden`` corpus positions in the
    network's input; unknown to the network (for the features): hidden titles."""
    rng = np.random.default_rng(seed)
    splits = [split_list(list(e), rng) for e in lists]
    for start in range(0, len(splits), batch):
        part = splits[start : start + batch]
        known = [[e for e in folded if not hidden[rec.position(e.anime_id)]] for folded, _ in part]
        runs = rec.passes(rec.encode_many(known))
        for (folded, held), run in zip(part, runs, strict=True):
            inputs = [e for e in dedupe(folded) if e.enters_input]
            unknown = np.asarray([hidden[rec.position(e.anime_id)] for e in inputs], bool)
            yield HiddenCase(
                run.log_scores().astype(np.float64) if run.inp.size else None,
                profile_features(index, folded, unknown),
                np.asarray([rec.position(e.anime_id) for e in folded], np.int64),
                np.asarray([rec.position(e.anime_id) for e in held], np.int64),
            )


def corpus_rows(rec: Recommender, index: TitleIndex) -> np.ndarray:
    """(N,) catalog row of each corpus title (−1 where the catalog lacks it)."""
    rows = [index.row(int(a)) for a in rec.corpus_ids]
    return np.asarray([-1 if r is None else r for r in rows], np.int64)


def hide(n_items: int, seed: int, fraction: float = HIDE_FRACTION) -> np.ndarray:
    """(N,) bool: a seeded ``fraction`` of the corpus, hidden from the network."""
    out = np.zeros(n_items, bool)
    out[np.random.default_rng(seed).choice(n_items, round(fraction * n_items), replace=False)] = (
        True
    )
    return out


def choice_sets(
    rec: Recommender,
    index: TitleIndex,
    lists: Sequence[Sequence[ProfileEntry]],
    seeds: Sequence[int],
    negatives: int = 1000,
) -> list[ChoiceSet]:
    """Every member's :class:`ChoiceSet` under each seed's hidden titles."""
    rows = corpus_rows(rec, index)
    out = []
    for seed in seeds:
        hidden = hide(rec.n_items, seed) & (rows >= 0)
        rng = np.random.default_rng(1000 + seed)
        for case in hidden_cases(rec, index, lists, hidden):
            if case.log_scores is None:
                continue
            cand = (rows >= 0) & ~np.isin(np.arange(rec.n_items), case.folded)
            target = np.isin(np.arange(rec.n_items), case.held)
            known, new = cand & ~hidden, cand & hidden
            out.append(
                choice_set(
                    case.log_scores[known],
                    case.feats.corpus[rows[known]],
                    target[known],
                    case.feats.new[rows[new]],
                    target[new],
                    rng,
                    negatives,
                )
            )
    return out


def member_lists(dataset: Dataset, part: int) -> list[list[ProfileEntry]]:
    return [dataset.entries(int(u)) for u in dataset.users(part)]


def open_model(model: str, catalog: str | None) -> tuple[Recommender, TitleIndex]:
    """The artifact and the catalog's index (None: the catalog shipped with the project)."""
    from model.catalog import Catalog

    index = TitleIndex(Catalog.load(catalog))
    return Recommender.load(model, workers=1), index


def _fit_command(args: argparse.Namespace) -> int:
    rec, index = open_model(args.model, args.catalog)
    dataset = open_dataset(args.data, options_from_args(args))
    if not np.array_equal(dataset.corpus_ids, rec.corpus_ids):
        print(f"error: {args.model}: corpus differs from the dataset's", file=sys.stderr)
        return 2
    seeds = [int(s) for s in args.seeds.split(",")]
    start = time.perf_counter()
    sets = choice_sets(rec, index, member_lists(dataset, VALIDATION), seeds)
    calibration = fit_calibration(
        sets,
        info={
            "data": str(args.data),
            "split": "validation",
            "hide_fraction": HIDE_FRACTION,
            "seeds": seeds,
            "command": "python -m training fit-coldstart " + " ".join(sys.argv[2:]),
        },
    )
    out = Path(args.out) if args.out else Path(args.model) / SIDECAR
    calibration.save(out)
    print(f"a = {calibration.a:.4f}")
    for name, value in {**calibration.new, **calibration.corpus}.items():
        print(f"  {name:>22} {value / calibration.a:+.4f}")
    print(f"{len(sets)} choice sets, {time.perf_counter() - start:.1f}s; wrote {out}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "fit-coldstart", help="fit the side channel's calibration on validation users"
    )
    parser.add_argument("--model", required=True, help="artifact directory")
    parser.add_argument("--data", required=True, help="the model's training data")
    parser.add_argument("--catalog", help="catalog file (default: the shipped one)")
    parser.add_argument("--out", help=f"calibration file (default: MODEL/{SIDECAR})")
    parser.add_argument("--seeds", default=",".join(map(str, SEEDS)), help="hidden-title seeds")
    add_options(parser)
    parser.set_defaults(handler=_fit_command)
