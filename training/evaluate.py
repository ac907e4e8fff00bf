"""Strong-generalization evaluation (Liang et al. 2018; RecPack ``strong_generalization``).

Held-out users (validation for tuning, test reported once): each user's input entries are
shuffled with a fixed seed, 80% are folded in (encoded exactly as serving encodes a profile) and
20% are held out. Scorers rank every corpus item not in the fold-in; we report Recall@20,
Recall@50, NDCG@100, rating MAE on held-out scored entries (1–10), mean popularity percentile
and catalog coverage of the top-20, and hit rates inside and outside the user's franchises.

| split | users | per user |
|---|---|---|
| train | ~80% | whole list: fit the model, EASE and the item biases |
| validation | ~10% | 80% fold-in / 20% held out: early stopping, λ, w |
| test | ~10% | 80% fold-in / 20% held out: reported once |
"""

from __future__ import annotations

import argparse
import json
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from model import reference
from model.features import RatingNormalizer, encode_profile
from training import metrics
from training.baselines import Dlae, Ease, ItemBias, Popularity, Scorer
from training.dataset import TEST, TRAIN, VALIDATION, Dataset, add_options, open_dataset

HOLDOUT_FRACTION = 0.2
HOLDOUT_SEED = 12345
EASE_LAMBDAS = (50.0, 100.0, 200.0, 400.0, 800.0, 1600.0)
BIAS_SHRINKAGES = (0.0, 5.0, 10.0, 25.0, 50.0)
SCORE_WEIGHTS = (0.0, 0.3, 0.5, 0.7, 0.9, 1.0)


@dataclass(frozen=True)
class FoldIn:
    """A batch of held-out users: fold-in inputs (as serving encodes them) and held-out targets."""

    users: np.ndarray  # dataset rows
    presence: np.ndarray  # (B, N) fold-in input entries
    values: np.ndarray  # (B, N) their normalized ratings
    has_scores: np.ndarray  # (B,) any scored fold-in entry
    normalizers: tuple[RatingNormalizer, ...]
    user_means: tuple[float | None, ...]  # mean fold-in score, None when nothing scored
    held_out: np.ndarray  # (B, N) 0/1
    held_scored: tuple[tuple[np.ndarray, np.ndarray], ...]  # per user (positions, 1–10 scores)

    @property
    def inputs(self) -> np.ndarray:
        return np.concatenate([self.presence, self.values], axis=1)


def fold_in(
    dataset: Dataset,
    users: np.ndarray,
    fraction: float = HOLDOUT_FRACTION,
    seed: int = HOLDOUT_SEED,
) -> FoldIn:
    """Split each user's entries 80/20 with a fixed seed; encode the fold-in like serving."""
    rng = np.random.default_rng(seed)
    index = dataset.index()
    n = dataset.n_items
    b = len(users)
    presence = np.zeros((b, n), np.float32)
    values = np.zeros((b, n), np.float32)
    held = np.zeros((b, n), np.float32)
    has_scores = np.zeros(b, bool)
    normalizers, means, held_scored = [], [], []
    for k, u in enumerate(users):
        entries = dataset.entries(int(u))
        order = rng.permutation(len(entries))
        n_held = max(1, round(fraction * len(entries)))
        held_part = [entries[i] for i in order[:n_held]]
        kept = [entries[i] for i in order[n_held:]]
        encoded = encode_profile(kept, index)
        presence[k, encoded.indices] = 1.0
        values[k, encoded.indices] = encoded.values
        has_scores[k] = encoded.has_scores
        normalizers.append(encoded.normalizer)
        scored_kept = [e.score for e in kept if e.score > 0]
        means.append(float(np.mean(scored_kept)) if scored_kept else None)
        positions = np.asarray([index[e.anime_id] for e in held_part], np.int64)
        held[k, positions] = 1.0
        scored = [(index[e.anime_id], e.score) for e in held_part if e.score > 0]
        held_scored.append(
            (np.asarray([p for p, _ in scored], np.int64), np.asarray([s for _, s in scored]))
        )
    return FoldIn(
        users=np.asarray(users),
        presence=presence,
        values=values,
        has_scores=has_scores,
        normalizers=tuple(normalizers),
        user_means=tuple(means),
        held_out=held,
        held_scored=tuple(held_scored),
    )


class ModelScorer:
    """The trained network ranked with the serving score (``model.reference``).

    score = p^w · max(r̂+1, 0.001)^(1−w) with p = softmax(presence logits) (DESIGN.md "Score");
    w = 1 for users with no scored entries.
    """

    name = "model"

    def __init__(
        self,
        config: reference.NetworkConfig,
        weights: dict[str, np.ndarray],
        score_weight: float = 0.3,
        batch_size: int = 256,
    ) -> None:
        self.config = config
        self.weights = weights
        self.score_weight = score_weight
        self.batch_size = batch_size
        self._cache: tuple[int, np.ndarray, np.ndarray] | None = None

    def outputs(self, batch: FoldIn) -> tuple[np.ndarray, np.ndarray]:
        """Presence probabilities and normalized rating predictions (cached per batch)."""
        if self._cache is not None and self._cache[0] == id(batch):
            return self._cache[1], self._cache[2]
        x = batch.inputs
        probs, ratings = [], []
        for start in range(0, len(x), self.batch_size):
            logits, r = reference.forward(
                self.config, self.weights, x[start : start + self.batch_size]
            )
            probs.append(np.exp(reference.log_softmax(logits.astype(np.float64))))
            ratings.append(r)
        result = (np.concatenate(probs), np.concatenate(ratings))
        self._cache = (id(batch), *result)
        return result

    def scores(self, batch: FoldIn) -> np.ndarray:
        probs, ratings = self.outputs(batch)
        w = np.where(batch.has_scores, self.score_weight, 1.0)[:, None]
        return reference.unified_score(probs, ratings, w)

    def predict_ratings(self, batch: FoldIn) -> list[np.ndarray]:
        """Per user, predicted 1–10 scores of the held-out scored entries."""
        _, ratings = self.outputs(batch)
        return [
            norm.denormalize(ratings[k, positions])
            for k, (norm, (positions, _)) in enumerate(
                zip(batch.normalizers, batch.held_scored, strict=True)
            )
        ]


def ranking_metrics(scorer: Scorer, batch: FoldIn, item_counts: np.ndarray) -> dict[str, float]:
    """Recall@20/50, NDCG@100, popularity skew and coverage of the top-20; fold-in masked."""
    scores = np.asarray(scorer.scores(batch), np.float64)
    scores = np.where(batch.presence > 0, -np.inf, scores)
    top20 = metrics.top_k(scores, 20)
    return {
        "recall@20": float(np.nanmean(metrics.recall_at_k(scores, batch.held_out, 20))),
        "recall@50": float(np.nanmean(metrics.recall_at_k(scores, batch.held_out, 50))),
        "ndcg@100": float(np.nanmean(metrics.ndcg_at_k(scores, batch.held_out, 100))),
        "popularity_percentile@20": metrics.mean_popularity_percentile(top20, item_counts),
        "coverage@20": metrics.coverage(top20, scores.shape[1]),
        "_top20": top20,  # type: ignore[dict-item]
    }


def _words(title: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", title.lower().replace("'", ""))


def franchise_relation(titles: Sequence[str]) -> np.ndarray:
    """A cheap (N, N) bool "same franchise" relation from titles (a heuristic, not ground truth).

    Two titles are related when one's word sequence is a prefix of the other's (``Naruto`` →
    ``Naruto: Shippuuden``, ``Haikyuu!!`` → ``Haikyuu!! Second Season``; the shorter needs ≥4
    letters), or they share the key before any colon of their first two words, plus the third
    when the second is a particle (``Shingeki no Kyojin``, ``Code Geass``).
    """
    particles = {"no", "ga", "wa", "wo", "to", "ni", "de", "the", "a", "of"}
    seqs = [tuple(_words(t)) for t in titles]
    by_seq: dict[tuple[str, ...], list[int]] = {}
    by_key: dict[tuple[str, ...], list[int]] = {}
    for i, (title, seq) in enumerate(zip(titles, seqs, strict=True)):
        by_seq.setdefault(seq, []).append(i)
        head = _words(title.split(":")[0])
        key = tuple(head[: 3 if len(head) > 2 and head[1] in particles else 2])
        if key and sum(len(w) for w in key) >= 4:
            by_key.setdefault(key, []).append(i)
    n = len(titles)
    related = np.zeros((n, n), bool)
    for members in by_key.values():
        related[np.ix_(members, members)] = True
    for i, seq in enumerate(seqs):
        for end in range(1, len(seq)):
            prefix = seq[:end]
            if sum(len(w) for w in prefix) >= 4:
                for j in by_seq.get(prefix, ()):
                    related[i, j] = related[j, i] = True
    np.fill_diagonal(related, False)
    return related


def evaluate_scorers(
    scorers: Sequence[Scorer],
    batch: FoldIn,
    item_counts: np.ndarray,
    related: np.ndarray | None = None,
) -> dict[str, dict[str, float]]:
    """Ranking metrics per scorer, and franchise / outside-franchise hit rates @20."""
    franchise = None
    if related is not None:
        franchise = (batch.presence @ related.astype(np.float32)) > 0
    results = {}
    for scorer in scorers:
        row = ranking_metrics(scorer, batch, item_counts)
        top20 = row.pop("_top20")
        if franchise is not None:
            row["franchise_hits@20"] = metrics.group_hit_rate(top20, batch.held_out, franchise)
            row["other_hits@20"] = metrics.group_hit_rate(top20, batch.held_out, ~franchise)
        results[scorer.name] = row
    return results


def bias_mae(bias: ItemBias, batch: FoldIn) -> float:
    predicted, actual = [], []
    for mean, (positions, scores) in zip(batch.user_means, batch.held_scored, strict=True):
        predicted.append(bias.predict(mean, positions))
        actual.append(scores)
    return metrics.mean_absolute_error(np.concatenate(predicted), np.concatenate(actual))


def model_mae(scorer: ModelScorer, batch: FoldIn) -> float:
    predicted = scorer.predict_ratings(batch)
    actual = [scores for _, scores in batch.held_scored]
    return metrics.mean_absolute_error(np.concatenate(predicted), np.concatenate(actual))


def train_presence(dataset: Dataset) -> np.ndarray:
    """Binary users × items matrix of the training users (EASE's X)."""
    presence, _, _ = dataset.dense(dataset.users(TRAIN))
    return presence


def fit_bias(dataset: Dataset, shrinkage: float) -> ItemBias:
    rows, items, scores = [], [], []
    for k, u in enumerate(dataset.users(TRAIN)):
        s = dataset.row(int(u))
        mask = dataset.scores[s] > 0
        items.append(dataset.indices[s][mask])
        scores.append(dataset.scores[s][mask].astype(np.float64))
        rows.append(np.full(int(mask.sum()), k))
    return ItemBias.fit(
        np.concatenate(rows),
        np.concatenate(items),
        np.concatenate(scores),
        dataset.n_items,
        shrinkage,
    )


def tune_ease(
    x: np.ndarray, batch: FoldIn, lambdas: Sequence[float] = EASE_LAMBDAS
) -> tuple[Ease, dict[float, float]]:
    """Pick EASE's λ by validation NDCG@100; returns the fitted model and the sweep."""
    sweep: dict[float, float] = {}
    best: Ease | None = None
    for lam in lambdas:
        ease = Ease.fit(x, lam)
        sweep[lam] = ranking_metrics(ease, batch, np.ones(x.shape[1]))["ndcg@100"]
        if best is None or sweep[lam] > sweep[best.lam]:
            best = ease
    assert best is not None
    return best, sweep


DLAE_GRID = ((0.25, 50.0), (0.33, 50.0), (0.33, 200.0), (0.5, 50.0))


def tune_dlae(
    x: np.ndarray, batch: FoldIn, grid: Sequence[tuple[float, float]] = DLAE_GRID
) -> tuple[Dlae, dict[str, float]]:
    """Pick DLAE's dropout p and λ by validation NDCG@100."""
    sweep: dict[str, float] = {}
    best: Dlae | None = None
    best_ndcg = -1.0
    for dropout, lam in grid:
        model = Dlae.fit_dlae(x, dropout, lam)
        ndcg = ranking_metrics(model, batch, np.ones(x.shape[1]))["ndcg@100"]
        sweep[f"p={dropout:g},lambda={lam:g}"] = ndcg
        if ndcg > best_ndcg:
            best, best_ndcg = model, ndcg
    assert best is not None
    return best, sweep


def tune_bias(dataset: Dataset, batch: FoldIn) -> tuple[ItemBias, dict[float, float]]:
    sweep = {s: bias_mae(fit_bias(dataset, s), batch) for s in BIAS_SHRINKAGES}
    best = min(sweep, key=sweep.__getitem__)
    return fit_bias(dataset, best), sweep


def markdown_table(results: dict[str, dict[str, float]], maes: dict[str, float]) -> str:
    columns = [
        "recall@20",
        "recall@50",
        "ndcg@100",
        "franchise_hits@20",
        "other_hits@20",
        "popularity_percentile@20",
        "coverage@20",
    ]
    head = (
        "| scorer | R@20 | R@50 | NDCG@100 | franchise hits@20 | other hits@20 "
        "| pop. pct@20 | coverage@20 | MAE |"
    )
    lines = [head, "|" + "---|" * 9]
    for name in [*results, *[m for m in maes if m not in results]]:
        row = results.get(name, {})
        cells = [f"{row[c]:.4f}" if c in row else "—" for c in columns]
        mae = f"{maes[name]:.4f}" if name in maes else "—"
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {mae} |")
    return "\n".join(lines)


def evaluate_artifact(model_dir: Path, dataset: Dataset, *, part: int = TEST) -> dict:
    """Evaluate a saved artifact, tuned EASE, popularity and the bias baseline on one split."""
    from model.artifact import load_artifact

    artifact = load_artifact(model_dir)
    if not np.array_equal(np.asarray(artifact.corpus_ids), dataset.corpus_ids):
        raise ValueError(f"{model_dir}: corpus differs from the dataset's (other data options?)")
    weights = {k: np.asarray(v) for k, v in artifact.weights.items()}
    w = float(artifact.metadata.get("score_weight", 0.3))
    scorer = ModelScorer(artifact.config, weights, score_weight=w)
    val_batch = fold_in(dataset, dataset.users(VALIDATION))
    batch = fold_in(dataset, dataset.users(part))
    x = train_presence(dataset)
    start = time.perf_counter()
    ease, ease_sweep = tune_ease(x, val_batch)
    ease_seconds = time.perf_counter() - start
    dlae, dlae_sweep = tune_dlae(x, val_batch)
    bias, bias_sweep = tune_bias(dataset, val_batch)
    related = franchise_relation(list(dataset.titles))
    results = evaluate_scorers(
        [scorer, ease, dlae, Popularity(dataset.item_counts)], batch, dataset.item_counts, related
    )
    maes = {"model": model_mae(scorer, batch), bias.name: bias_mae(bias, batch)}
    return {
        "split": ["train", "validation", "test"][part],
        "n_users": len(batch.users),
        "model": str(model_dir),
        "model_score_weight": w,
        "results": results,
        "mae": maes,
        "ease_lambda": ease.lam,
        "ease_validation_ndcg": {str(k): v for k, v in ease_sweep.items()},
        "ease_fit_seconds": round(ease_seconds, 1),
        "dlae_validation_ndcg": dlae_sweep,
        "bias_shrinkage": bias.shrinkage,
        "bias_validation_mae": {str(k): v for k, v in bias_sweep.items()},
        "table": markdown_table(results, maes),
    }


def _evaluate_command(args: argparse.Namespace) -> int:
    from training.dataset import options_from_args

    dataset = open_dataset(args.data, options_from_args(args))
    part = {"test": TEST, "validation": VALIDATION}[args.split]
    report = evaluate_artifact(Path(args.model), dataset, part=part)
    print(report["table"])
    if args.out:
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(report, indent=2) + "\n")
        out.with_suffix(".md").write_text(report["table"] + "\n")
        print(f"wrote {out} and {out.with_suffix('.md')}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "evaluate", help="strong-generalization evaluation against EASE and popularity"
    )
    parser.add_argument("--model", required=True, help="artifact directory")
    parser.add_argument("--data", required=True, help="data directory or built .npz dataset")
    parser.add_argument("--out", help="write the report here (JSON) and a .md table beside it")
    parser.add_argument("--split", choices=("test", "validation"), default="test")
    add_options(parser)
    parser.set_defaults(handler=_evaluate_command)
