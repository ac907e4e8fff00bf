"""The training loop: denoising steps, validation NDCG@100, early stopping, checkpoints.

Each step corrupts a batch of full training profiles (DESIGN.md "Denoising"), predicts the full
profile, and minimizes the uncertainty-weighted sum (Kendall et al. 2018) of the multinomial
presence NLL (Liang et al. 2018) and the masked rating Huber loss, with Adam (Kingma & Ba 2015).
Every ``eval_every`` steps the validation users' fold-in is ranked and the best parameters by
NDCG@100 are kept; training stops after ``patience`` evaluations without improvement.
Checkpoints hold parameters, optimizer state, best parameters, step and history, so a run
resumes exactly where it stopped. Seeded: the same seed gives the same parameters.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import nnx
from tqdm.auto import tqdm

from model.reference import NetworkConfig, unified_score
from training import losses, metrics
from training.configs import TrainConfig
from training.dataset import TRAIN, Dataset
from training.evaluate import FoldIn
from training.network import Network, keep_mask

CHECKPOINT = "checkpoint.npz"


@dataclass
class TrainResult:
    network: Network
    best_step: int
    best_ndcg: float
    steps: int
    seconds: float
    history: list[dict[str, float]] = field(default_factory=list)


def dense_rows(dataset: Dataset, rows: np.ndarray) -> tuple[np.ndarray, ...]:
    """(presence, values, scored) (B, N) float32 for dataset rows, scattered from the CSR arrays."""
    starts, ends = dataset.indptr[rows], dataset.indptr[rows + 1]
    lengths = ends - starts
    flat = np.repeat(starts - np.cumsum(np.r_[0, lengths[:-1]]), lengths) + np.arange(lengths.sum())
    r = np.repeat(np.arange(len(rows)), lengths)
    c = dataset.indices[flat]
    shape = (len(rows), dataset.n_items)
    presence, values, scored = (np.zeros(shape, np.float32) for _ in range(3))
    presence[r, c] = 1.0
    values[r, c] = dataset.values[flat]
    scored[r, c] = dataset.scored[flat]
    return presence, values, scored


def make_optimizer(config: TrainConfig) -> optax.GradientTransformation:
    if config.schedule == "cosine":
        lr: Any = optax.cosine_decay_schedule(config.learning_rate, config.max_steps, alpha=0.1)
    else:
        lr = config.learning_rate
    base = (
        optax.adamw(lr, weight_decay=config.weight_decay) if config.weight_decay else optax.adam(lr)
    )
    if config.schedule == "plateau":
        return optax.chain(
            base,
            optax.contrib.reduce_on_plateau(
                factor=0.5, patience=5, accumulation_size=max(config.eval_every, 1)
            ),
        )
    return base


def _sharding() -> tuple[Any, Any] | None:
    """Data-parallel shardings (batch split over devices, params replicated) when >1 device."""
    devices = jax.devices()
    if len(devices) < 2:
        return None
    mesh = jax.sharding.Mesh(np.asarray(devices), ("data",))
    spec = jax.sharding.PartitionSpec
    return (
        jax.sharding.NamedSharding(mesh, spec("data")),
        jax.sharding.NamedSharding(mesh, spec()),
    )


def item_value_bias(dataset: Dataset, shrinkage: float = 1.0) -> np.ndarray:
    """Per item, the training users' mean of (normalized rating − the user's mean input value).

    With ``rating_offset`` this makes the rating head start as a user-level + item-bias
    baseline (Koren 2008's baseline estimates, on the hybrid scale).
    """
    rows = dataset.users(TRAIN)
    lengths = np.diff(dataset.indptr)
    row_of = np.repeat(np.arange(dataset.n_users), lengths)
    user_mean = np.bincount(row_of, weights=dataset.values, minlength=dataset.n_users)
    user_mean /= np.maximum(lengths, 1)
    mask = np.isin(row_of, rows) & dataset.scored
    residual = dataset.values[mask] - user_mean[row_of[mask]]
    items = dataset.indices[mask]
    total = np.bincount(items, weights=residual, minlength=dataset.n_items)
    return (total / (np.bincount(items, minlength=dataset.n_items) + shrinkage)).astype(np.float32)


GRAFT_SCALES = tuple(float(v) for v in np.geomspace(1.0, 300.0, 25))


def fit_graft_scale(
    dataset: Dataset, item_item: np.ndarray, config: TrainConfig, n_users: int = 512
) -> float:
    """The graft scale g whose softmax(g · corrupted-presence · G) best fits the training target.

    The item–item scores have their own temperature; starting g at the likelihood's optimum
    (instead of 1) means the network's residual is not pushed to fix the temperature first.
    The target is the one training uses (``presence_target``; "dropped" leaves kept entries out
    of the softmax).
    """
    rng = np.random.default_rng(config.seed)
    rows = np.sort(rng.permutation(dataset.users(TRAIN))[:n_users])
    presence, _, _ = dense_rows(dataset, rows)
    rate = config.drop_rate + rng.uniform(-config.drop_spread, config.drop_spread, (len(rows), 1))
    keep = (rng.random(presence.shape) >= rate).astype(np.float32)
    kept = presence * keep
    base = (kept @ np.asarray(item_item, np.float32)).astype(np.float64)
    target = presence
    if config.presence_target == "dropped":
        target = presence * (1.0 - keep)
        base = np.where(kept > 0, -np.inf, base)
    counts = target.sum(axis=1)
    users = counts > 0

    def nll(g: float) -> float:
        logits = g * base[users]
        logits -= logits.max(axis=1, keepdims=True)
        log_probs = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
        picked = np.where(target[users] > 0, log_probs, 0.0)
        return float((-picked.sum(axis=1) / counts[users]).mean())

    return min(GRAFT_SCALES, key=nll)


def validation_metrics(
    predict: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]],
    batch: FoldIn,
    score_weight: float,
    k: int = 100,
) -> tuple[float, float]:
    """NDCG@k of the serving score (profile items masked) and the rating MAE (1–10 scale)
    on held-out users' fold-ins."""
    probs, ratings = predict(batch.inputs)
    w = np.where(batch.has_scores, score_weight, 1.0)[:, None]
    scores = unified_score(probs, ratings, w)
    scores = np.where(batch.presence > 0, -np.inf, scores)
    ndcg = float(np.nanmean(metrics.ndcg_at_k(scores, batch.held_out, k)))
    predicted = [
        norm.denormalize(ratings[i, positions])
        for i, (norm, (positions, _)) in enumerate(
            zip(batch.normalizers, batch.held_scored, strict=True)
        )
    ]
    actual = [scores for _, scores in batch.held_scored]
    return ndcg, metrics.mean_absolute_error(np.concatenate(predicted), np.concatenate(actual))


def _save(path: Path, trees: dict[str, Any], state: dict[str, Any]) -> None:
    arrays = {}
    for name, tree in trees.items():
        for i, leaf in enumerate(jax.tree_util.tree_leaves(tree)):
            arrays[f"{name}/{i}"] = np.asarray(leaf)
    tmp = path.with_suffix(".tmp.npz")
    with tmp.open("wb") as handle:
        np.savez(handle, state=np.asarray(json.dumps(state)), **arrays)
    tmp.replace(path)


def _load(
    path: Path, trees: dict[str, Any], model: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Restore ``trees`` from a checkpoint written for the same ``model`` (network and corpus).

    A checkpoint of another configuration or corpus raises ValueError instead of resuming: with
    equal shapes it would silently continue a model of other titles.
    """
    with np.load(path, allow_pickle=False) as data:
        state = json.loads(str(data["state"]))
        if state.get("model") != model:
            raise ValueError(
                f"{path}: checkpoint of another network or corpus ({state.get('model')} vs "
                f"{model}); use another --checkpoint-dir or train without --resume"
            )
        restored = {}
        for name, tree in trees.items():
            leaves, treedef = jax.tree_util.tree_flatten(tree)
            new = []
            for i, leaf in enumerate(leaves):
                key = f"{name}/{i}"
                if key not in data or data[key].shape != np.shape(leaf):
                    raise ValueError(f"{path}: checkpoint array {key} does not fit this network")
                new.append(jnp.asarray(data[key], dtype=jnp.asarray(leaf).dtype))
            restored[name] = jax.tree_util.tree_unflatten(treedef, new)
        return restored, state


def train(
    dataset: Dataset,
    config: TrainConfig,
    validation: FoldIn,
    *,
    item_item: np.ndarray | None = None,
    item_item_folds: Sequence[tuple[np.ndarray, np.ndarray]] | None = None,
    rating_bias: np.ndarray | None = None,
    checkpoint_dir: Path | None = None,
    resume: bool = False,
    score_weight: float = 1.0,
    progress: bool = True,
) -> TrainResult:
    """Train a :class:`Network` on the dataset's training users; early-stop on ``validation``.

    ``item_item`` is the graft's G (serving and validation use it). ``item_item_folds``, when
    given, cross-fits the graft (as in stacking): pairs (training rows of fold k, G fitted
    without fold k); each step draws its batch from one fold and uses that fold's G, so the
    network learns its residual against item–item scores of users G has not seen, as at serving.
    ``rating_bias``, when given, starts the rating head at a per-item bias with a zero output
    kernel (with the rating offset: the user-level + item-bias baseline), so the network learns
    a residual over that baseline.
    """
    started = time.perf_counter()
    graft_scale = config.graft_scale
    if config.graft and item_item is not None and graft_scale is None:
        graft_scale = fit_graft_scale(dataset, item_item, config)
    net_config = NetworkConfig(
        dataset.n_items,
        config.encoder,
        config.decoder,
        item_item=config.graft,
        rating_offset=config.rating_offset,
    )
    network = Network(
        net_config,
        rngs=nnx.Rngs(config.seed),
        noise_std=config.noise_std,
        item_item=item_item,
        item_item_scale=graft_scale,
        train_item_item=config.train_item_item,
        zero_presence_output=config.graft and config.graft_zero_init,
    )
    if rating_bias is not None:
        last = network.rating[-1]
        last.kernel[...] = jnp.zeros_like(last.kernel[...])
        last.bias[...] = jnp.asarray(rating_bias, jnp.float32)
    graphdef, net_params, rest = nnx.split(network, nnx.Param, ...)
    folds: list[tuple[np.ndarray, Any]] = []
    if config.graft and item_item_folds and not config.train_item_item:
        for rows_k, g_k in item_item_folds:
            network.item_item_weight[...] = jnp.asarray(g_k, jnp.float32)
            folds.append((np.asarray(rows_k), nnx.split(network, nnx.Param, ...)[2]))
        network.item_item_weight[...] = jnp.asarray(item_item, jnp.float32)
    if not folds:
        folds = [(dataset.users(TRAIN), rest)]
    params = {"net": net_params, "log_vars": jnp.zeros(2, jnp.float32)}
    tx = make_optimizer(config)
    opt_state = tx.init(params)
    best = params["net"]
    model_key = {
        **net_config.to_dict(),
        "corpus_sha256": hashlib.sha256(np.ascontiguousarray(dataset.corpus_ids)).hexdigest(),
    }
    state: dict[str, Any] = {
        "model": model_key,
        "step": 0,
        "best_step": 0,
        "best": -np.inf,
        "best_ndcg": -1.0,
        "bad": 0,
        "history": [],
    }
    ckpt = checkpoint_dir / CHECKPOINT if checkpoint_dir else None
    if ckpt is not None and resume and ckpt.is_file():
        trees, state = _load(ckpt, {"params": params, "opt": opt_state, "best": best}, model_key)
        params, opt_state, best = trees["params"], trees["opt"], trees["best"]

    rate, spread = config.drop_rate, config.drop_spread
    dropped_targets = config.presence_target == "dropped"
    rerank = config.presence_target == "rerank" and config.graft
    n_candidates = min(config.rerank_candidates, dataset.n_items)

    def loss_fn(p: Any, rest: Any, presence: Any, values: Any, scored: Any, key: Any) -> Any:
        net = nnx.merge(graphdef, p["net"], rest)
        k_drop, k_noise = jax.random.split(key)
        keep = keep_mask(k_drop, presence.shape, rate, spread)
        x = jnp.concatenate([presence * keep, values * keep], axis=1)
        logits, ratings = net(x, noise_key=k_noise)
        # "full": reconstruct the whole profile (DESIGN.md); "dropped": only what was left out,
        # which is the fold-in → held-out task that evaluation and serving pose.
        # The kept entries then leave the softmax and the rating loss too: they are never
        # candidates at serving, and copying their input ratings teaches nothing.
        if rerank:
            # "rerank": the softmax runs over the graft's top candidates only, so the network
            # learns to reorder what the item–item model proposes (a two-stage ranker).
            kept = presence * keep
            proposal = jax.lax.stop_gradient(kept @ net.item_item_weight[...])
            proposal = jnp.where(kept > 0, -jnp.inf, proposal)
            _, top = jax.lax.top_k(proposal, n_candidates)
            candidate = (
                jnp.zeros_like(presence).at[jnp.arange(presence.shape[0])[:, None], top].set(1.0)
            )
            target, rated = presence * (1.0 - keep) * candidate, scored * (1.0 - keep)
            logits = jnp.where(candidate > 0, logits, -1e9)
        elif dropped_targets:
            target, rated = presence * (1.0 - keep), scored * (1.0 - keep)
            logits = jnp.where(presence * keep > 0, -1e9, logits)
        else:
            target, rated = presence, scored
        parts = jnp.stack(
            [losses.multinomial_nll(logits, target), losses.masked_huber(ratings, values, rated)]
        )
        return losses.uncertainty_weighted(parts, p["log_vars"]), parts

    @jax.jit
    def step(p: Any, opt: Any, rest: Any, presence: Any, values: Any, scored: Any, key: Any):
        (loss, parts), grads = jax.value_and_grad(loss_fn, has_aux=True)(
            p, rest, presence, values, scored, key
        )
        updates, opt = tx.update(grads, opt, p, value=loss)
        return optax.apply_updates(p, updates), opt, loss, parts

    @jax.jit
    def predict_fn(net_params: Any, rest: Any, x: Any) -> Any:
        logits, ratings = nnx.merge(graphdef, net_params, rest)(x)
        return jax.nn.softmax(logits, axis=-1), ratings

    def predict(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        probs, ratings = predict_fn(params["net"], rest, jnp.asarray(x))
        return np.asarray(probs, np.float64), np.asarray(ratings, np.float64)

    shard = _sharding()
    batch_size = min(config.batch_size, *(len(rows_k) for rows_k, _ in folds))
    if shard is not None:
        n_dev = jax.device_count()
        batch_size = max(n_dev, batch_size - batch_size % n_dev)
    root_key = jax.random.key(config.seed)
    bar = tqdm(total=config.max_steps, initial=state["step"], disable=not progress, unit="step")

    def evaluate(loss: float, nll: float, hub: float) -> None:
        nonlocal best
        ndcg, mae = validation_metrics(predict, validation, score_weight)
        record = {"step": state["step"], "loss": loss, "nll": nll, "huber": hub}
        record.update({"val_ndcg@100": ndcg, "val_mae": mae})
        state["history"].append(record)
        criterion = -mae if config.select == "mae" else ndcg
        if criterion > state["best"]:
            state.update(best=criterion, best_ndcg=ndcg, best_step=state["step"], bad=0)
            best = params["net"]
        else:
            state["bad"] += 1
        bar.set_postfix(
            loss=f"{loss:.3f}",
            nll=f"{nll:.3f}",
            huber=f"{hub:.3f}",
            ndcg=f"{ndcg:.4f}",
            mae=f"{mae:.3f}",
        )
        if ckpt is not None:
            ckpt.parent.mkdir(parents=True, exist_ok=True)
            _save(ckpt, {"params": params, "opt": opt_state, "best": best}, state)

    if state["step"] == 0 and not state["history"]:
        evaluate(float("nan"), float("nan"), float("nan"))  # the starting point is a candidate
    while state["step"] < config.max_steps and state["bad"] < config.patience:
        s = state["step"]
        fold, fold_step = s % len(folds), s // len(folds)
        train_rows, fold_rest = folds[fold]
        epoch, within = divmod(fold_step, max(1, len(train_rows) // batch_size))
        order = np.random.default_rng([config.seed, fold, epoch]).permutation(train_rows)
        rows = np.sort(order[within * batch_size : (within + 1) * batch_size])
        batch = dense_rows(dataset, rows)
        if shard is not None:
            batch = tuple(jax.device_put(a, shard[0]) for a in batch)
        params, opt_state, loss, parts = step(
            params, opt_state, fold_rest, *batch, jax.random.fold_in(root_key, s)
        )
        state["step"] = s + 1
        bar.update(1)
        if state["step"] % config.eval_every == 0 or state["step"] == config.max_steps:
            evaluate(float(loss), *(float(v) for v in parts))
    bar.close()
    final = nnx.merge(graphdef, best, rest)
    return TrainResult(
        network=final,
        best_step=int(state["best_step"]),
        best_ndcg=float(state["best_ndcg"]),
        steps=int(state["step"]),
        seconds=time.perf_counter() - started,
        history=list(state["history"]),
    )
