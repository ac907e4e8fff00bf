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

import json
import time
from collections.abc import Callable
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
from training.network import Network, corrupt

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


def validation_ndcg(
    predict: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]],
    batch: FoldIn,
    score_weight: float,
    k: int = 100,
) -> float:
    """NDCG@k of the serving score on held-out users' fold-ins (profile items masked)."""
    probs, ratings = predict(batch.inputs)
    w = np.where(batch.has_scores, score_weight, 1.0)[:, None]
    scores = unified_score(probs, ratings, w)
    scores = np.where(batch.presence > 0, -np.inf, scores)
    return float(np.nanmean(metrics.ndcg_at_k(scores, batch.held_out, k)))


def _save(path: Path, trees: dict[str, Any], state: dict[str, Any]) -> None:
    arrays = {}
    for name, tree in trees.items():
        for i, leaf in enumerate(jax.tree_util.tree_leaves(tree)):
            arrays[f"{name}/{i}"] = np.asarray(leaf)
    tmp = path.with_suffix(".tmp.npz")
    with tmp.open("wb") as handle:
        np.savez(handle, state=np.asarray(json.dumps(state)), **arrays)
    tmp.replace(path)


def _load(path: Path, trees: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    with np.load(path, allow_pickle=False) as data:
        restored = {}
        for name, tree in trees.items():
            leaves, treedef = jax.tree_util.tree_flatten(tree)
            new = [
                jnp.asarray(data[f"{name}/{i}"], dtype=jnp.asarray(leaf).dtype)
                for i, leaf in enumerate(leaves)
            ]
            restored[name] = jax.tree_util.tree_unflatten(treedef, new)
        return restored, json.loads(str(data["state"]))


def train(
    dataset: Dataset,
    config: TrainConfig,
    validation: FoldIn,
    *,
    item_item: np.ndarray | None = None,
    checkpoint_dir: Path | None = None,
    resume: bool = False,
    score_weight: float = 1.0,
    progress: bool = True,
) -> TrainResult:
    """Train a :class:`Network` on the dataset's training users; early-stop on ``validation``."""
    started = time.perf_counter()
    net_config = NetworkConfig(
        dataset.n_items, config.encoder, config.decoder, item_item=config.graft
    )
    network = Network(
        net_config,
        rngs=nnx.Rngs(config.seed),
        noise_std=config.noise_std,
        item_item=item_item,
        item_item_scale=config.graft_scale,
        train_item_item=config.train_item_item,
    )
    graphdef, net_params, rest = nnx.split(network, nnx.Param, ...)
    params = {"net": net_params, "log_vars": jnp.zeros(2, jnp.float32)}
    tx = make_optimizer(config)
    opt_state = tx.init(params)
    best = params["net"]
    state: dict[str, Any] = {"step": 0, "best_step": 0, "best_ndcg": -1.0, "bad": 0, "history": []}
    ckpt = checkpoint_dir / CHECKPOINT if checkpoint_dir else None
    if ckpt is not None and resume and ckpt.is_file():
        trees, state = _load(ckpt, {"params": params, "opt": opt_state, "best": best})
        params, opt_state, best = trees["params"], trees["opt"], trees["best"]

    rate, spread = config.drop_rate, config.drop_spread

    def loss_fn(p: Any, rest: Any, presence: Any, values: Any, scored: Any, key: Any) -> Any:
        net = nnx.merge(graphdef, p["net"], rest)
        k_drop, k_noise = jax.random.split(key)
        x = corrupt(k_drop, presence, values, rate, spread)
        logits, ratings = net(x, noise_key=k_noise)
        parts = jnp.stack(
            [losses.multinomial_nll(logits, presence), losses.masked_huber(ratings, values, scored)]
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
    train_rows = dataset.users(TRAIN)
    batch_size = min(config.batch_size, len(train_rows))
    if shard is not None:
        n_dev = jax.device_count()
        batch_size = max(n_dev, batch_size - batch_size % n_dev)
    steps_per_epoch = max(1, len(train_rows) // batch_size)
    root_key = jax.random.key(config.seed)
    bar = tqdm(total=config.max_steps, initial=state["step"], disable=not progress, unit="step")
    while state["step"] < config.max_steps and state["bad"] < config.patience:
        s = state["step"]
        epoch, within = divmod(s, steps_per_epoch)
        order = np.random.default_rng([config.seed, epoch]).permutation(train_rows)
        rows = np.sort(order[within * batch_size : (within + 1) * batch_size])
        batch = dense_rows(dataset, rows)
        if shard is not None:
            batch = tuple(jax.device_put(a, shard[0]) for a in batch)
        params, opt_state, loss, parts = step(
            params, opt_state, rest, *batch, jax.random.fold_in(root_key, s)
        )
        state["step"] = s + 1
        bar.update(1)
        if state["step"] % config.eval_every == 0 or state["step"] == config.max_steps:
            ndcg = validation_ndcg(predict, validation, score_weight)
            nll, hub = (float(v) for v in parts)
            record = {"step": state["step"], "loss": float(loss), "nll": nll, "huber": hub}
            record["val_ndcg@100"] = ndcg
            state["history"].append(record)
            if ndcg > state["best_ndcg"]:
                state.update(best_ndcg=ndcg, best_step=state["step"], bad=0)
                best = params["net"]
            else:
                state["bad"] += 1
            bar.set_postfix(
                loss=f"{float(loss):.3f}", nll=f"{nll:.3f}", huber=f"{hub:.3f}", ndcg=f"{ndcg:.4f}"
            )
            if ckpt is not None:
                ckpt.parent.mkdir(parents=True, exist_ok=True)
                _save(ckpt, {"params": params, "opt": opt_state, "best": best}, state)
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
