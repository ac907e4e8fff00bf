"""The training loop: denoising steps, validation, early stopping, checkpoints.

Each step corrupts a batch of full training profiles and minimizes the denoising objective
(``training.objective``: uncertainty-weighted (Kendall et al. 2018) multinomial presence NLL
(Liang et al. 2018) and masked rating Huber loss) with Adam (Kingma & Ba 2015). Every
``eval_every`` steps the validation users' fold-in is measured (``training.evaluation``: masked
NDCG@100 and rating MAE) and the best parameters by the configured criterion are kept; training
stops after ``patience`` evaluations without improvement. Checkpoints (``training.checkpoint``)
let a run resume exactly where it stopped. Seeded: the same seed gives the same parameters.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import nnx
from tqdm.auto import tqdm

from model.reference import NetworkConfig
from training.checkpoint import CHECKPOINT, load_checkpoint, save_checkpoint
from training.configs import TrainConfig
from training.dataset import TRAIN, Dataset
from training.evaluation.measures import ndcg, rating_mae
from training.evaluation.scorers import NetworkScorer
from training.graft import fit_graft_scale
from training.network import Network
from training.objective import denoising_loss
from training.scenario import FoldIn

Params = dict[str, Any]  # {"net": the network's nnx.Param state, "log_vars": (2,) s_p, s_r}


@dataclass
class TrainResult:
    """The best network (by the validation criterion), where it was found, and the history."""

    network: Network
    best_step: int
    best_ndcg: float
    steps: int
    seconds: float
    history: list[dict[str, float]] = field(default_factory=list)


@dataclass
class Progress:
    """Where a run stands: step, early stopping and history (a checkpoint's JSON state)."""

    model: dict[str, Any]  # network configuration and corpus hash the run belongs to
    step: int = 0
    best_step: int = 0
    best: float = -math.inf  # best validation criterion so far
    best_ndcg: float = -1.0  # validation NDCG@100 at ``best_step``
    bad: int = 0  # evaluations since the last improvement
    history: list[dict[str, float]] = field(default_factory=list)

    def record(self, record: dict[str, float], criterion: float, ndcg: float) -> bool:
        """Add an evaluation; whether it is the best so far (early stopping's counter)."""
        self.history.append(record)
        if criterion > self.best:
            self.best, self.best_ndcg, self.best_step, self.bad = criterion, ndcg, self.step, 0
            return True
        self.bad += 1
        return False

    def finished(self, config: TrainConfig) -> bool:
        return self.step >= config.max_steps or self.bad >= config.patience


@dataclass(frozen=True)
class Fold:
    """Training rows drawn from together, and the network's non-parameter state (its G)."""

    rows: np.ndarray
    rest: Any


class OutputsScorer(NetworkScorer):
    """The serving score of outputs already computed for one batch (validation)."""

    def __init__(
        self, batch: FoldIn, probs: np.ndarray, ratings: np.ndarray, score_weight: float
    ) -> None:
        super().__init__(score_weight)
        self._batch, self._outputs = batch, (probs, ratings)

    def outputs(self, batch: FoldIn) -> tuple[np.ndarray, np.ndarray]:
        if batch is not self._batch:
            raise ValueError("outputs were computed for another batch")
        return self._outputs


def make_optimizer(config: TrainConfig) -> optax.GradientTransformation:
    """Adam (AdamW with weight decay), constant or cosine LR, or reduced on plateau."""
    lr: optax.ScalarOrSchedule = config.learning_rate
    if config.schedule == "cosine":
        lr = optax.cosine_decay_schedule(config.learning_rate, config.max_steps, alpha=0.1)
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


def _sharding() -> tuple[jax.sharding.NamedSharding, jax.sharding.NamedSharding] | None:
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


def split_params(network: Network) -> tuple[nnx.GraphDef[Network], nnx.State, nnx.State]:
    """(graph, trainable parameters, the rest: frozen G, rngs) of the network."""
    graphdef, params, *rest = nnx.split(network, nnx.Param, ...)
    return graphdef, params, rest[0]


def build_network(
    dataset: Dataset,
    config: TrainConfig,
    item_item: np.ndarray | None,
    rating_bias: np.ndarray | None,
) -> Network:
    """The initialized network (seeded by ``config.seed``), graft and rating bias in place."""
    graft_scale = config.graft_scale
    if config.graft and item_item is not None and graft_scale is None:
        graft_scale = fit_graft_scale(dataset, item_item, config)
    network = Network(
        NetworkConfig(
            dataset.n_items,
            config.encoder,
            config.decoder,
            item_item=config.graft,
            rating_offset=config.rating_offset,
        ),
        rngs=nnx.Rngs(config.seed),
        noise_std=config.noise_std,
        item_item=item_item,
        item_item_scale=1.0 if graft_scale is None else graft_scale,
        train_item_item=config.train_item_item,
        zero_presence_output=config.graft and config.graft_zero_init,
    )
    if rating_bias is not None:
        # A zero kernel: the rating head starts as the bias (the baseline) and learns a residual.
        last = network.rating[-1]
        assert last.bias is not None
        last.kernel[...] = jnp.zeros_like(last.kernel[...])
        last.bias[...] = jnp.asarray(rating_bias, jnp.float32)
    return network


def graft_folds(
    network: Network,
    dataset: Dataset,
    config: TrainConfig,
    item_item: np.ndarray | None,
    item_item_folds: Sequence[tuple[np.ndarray, np.ndarray]] | None,
    rest: Any,
) -> list[Fold]:
    """The folds batches are drawn from: one per cross-fitted G, or all training users."""
    if not (config.graft and item_item_folds and not config.train_item_item):
        return [Fold(dataset.users(TRAIN), rest)]
    weight = network.item_item_weight
    assert weight is not None and item_item is not None, "cross-fitting needs the graft's G"
    folds = []
    for rows_k, g_k in item_item_folds:
        weight[...] = jnp.asarray(g_k, jnp.float32)
        folds.append(Fold(np.asarray(rows_k), split_params(network)[2]))
    weight[...] = jnp.asarray(item_item, jnp.float32)
    return folds


def batch_rows(
    folds: Sequence[Fold], step: int, batch_size: int, seed: int
) -> tuple[Fold, np.ndarray]:
    """Step ``step``'s fold and sorted rows: folds in turn, each a seeded permutation per epoch."""
    fold_index, fold_step = step % len(folds), step // len(folds)
    fold = folds[fold_index]
    epoch, within = divmod(fold_step, max(1, len(fold.rows) // batch_size))
    order = np.random.default_rng([seed, fold_index, epoch]).permutation(fold.rows)
    return fold, np.sort(order[within * batch_size : (within + 1) * batch_size])


class Trainer:
    """The jitted step and prediction, parameters, optimizer state and the best parameters."""

    def __init__(self, network: Network, config: TrainConfig, n_items: int) -> None:
        self.config = config
        self.graphdef, net_params, self.rest = split_params(network)
        self.params: Params = {"net": net_params, "log_vars": jnp.zeros(2, jnp.float32)}
        self.tx = make_optimizer(config)
        self.opt_state = self.tx.init(self.params)
        self.best = self.params["net"]
        n_candidates = min(config.rerank_candidates, n_items)
        graphdef, tx = self.graphdef, self.tx

        def loss_fn(p: Params, rest: Any, presence: Any, values: Any, scored: Any, key: Any) -> Any:
            net = nnx.merge(graphdef, p["net"], rest)
            return denoising_loss(
                net,
                p["log_vars"],
                presence,
                values,
                scored,
                key,
                config=config,
                n_candidates=n_candidates,
            )

        @jax.jit
        def step(p: Params, opt: Any, rest: Any, presence: Any, values: Any, scored: Any, key: Any):
            (loss, parts), grads = jax.value_and_grad(loss_fn, has_aux=True)(
                p, rest, presence, values, scored, key
            )
            updates, opt = tx.update(grads, opt, p, value=loss)
            return optax.apply_updates(p, updates), opt, loss, parts

        @jax.jit
        def predict(net_params: Any, rest: Any, x: Any) -> Any:
            logits, ratings = nnx.merge(graphdef, net_params, rest)(x)
            return jax.nn.softmax(logits, axis=-1), ratings

        self._step, self._predict = step, predict

    def trees(self) -> dict[str, Any]:
        return {"params": self.params, "opt": self.opt_state, "best": self.best}

    def restore(self, trees: dict[str, Any]) -> None:
        self.params, self.opt_state, self.best = trees["params"], trees["opt"], trees["best"]

    def step(self, rest: Any, batch: Sequence[Any], key: jax.Array) -> tuple[jax.Array, jax.Array]:
        """One optimizer step on a batch (presence, values, scored); (loss, [nll, huber])."""
        self.params, self.opt_state, loss, parts = self._step(
            self.params, self.opt_state, rest, *batch, key
        )
        return loss, parts

    def outputs(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Presence probabilities and normalized ratings (float64) of the current parameters."""
        probs, ratings = self._predict(self.params["net"], self.rest, jnp.asarray(x))
        return np.asarray(probs, np.float64), np.asarray(ratings, np.float64)

    def validate(self, batch: FoldIn, score_weight: float) -> tuple[float, float]:
        """Validation NDCG@100 (serving score, fold-in masked) and rating MAE (1–10)."""
        scorer = OutputsScorer(batch, *self.outputs(batch.inputs), score_weight)
        return ndcg(scorer, batch), rating_mae(scorer, batch)

    def best_network(self) -> Network:
        return nnx.merge(self.graphdef, self.best, self.rest)


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
    network = build_network(dataset, config, item_item, rating_bias)
    trainer = Trainer(network, config, dataset.n_items)
    folds = graft_folds(network, dataset, config, item_item, item_item_folds, trainer.rest)
    model_key = {
        **network.config.to_dict(),
        "corpus_sha256": hashlib.sha256(np.ascontiguousarray(dataset.corpus_ids).data).hexdigest(),
    }
    run = Progress(model=model_key)
    ckpt = checkpoint_dir / CHECKPOINT if checkpoint_dir else None
    if ckpt is not None and resume and ckpt.is_file():
        trees, state = load_checkpoint(ckpt, trainer.trees(), model_key)
        trainer.restore(trees)
        run = Progress(**state)

    shard = _sharding()
    batch_size = min(config.batch_size, *(len(fold.rows) for fold in folds))
    if shard is not None:
        n_dev = jax.device_count()
        batch_size = max(n_dev, batch_size - batch_size % n_dev)
    root_key = jax.random.key(config.seed)
    bar = tqdm(total=config.max_steps, initial=run.step, disable=not progress, unit="step")

    def evaluate(loss: float, nll: float, hub: float) -> None:
        val_ndcg, val_mae = trainer.validate(validation, score_weight)
        record = {"step": run.step, "loss": loss, "nll": nll, "huber": hub}
        record.update({"val_ndcg@100": val_ndcg, "val_mae": val_mae})
        criterion = -val_mae if config.select == "mae" else val_ndcg
        if run.record(record, criterion, val_ndcg):
            trainer.best = trainer.params["net"]
        bar.set_postfix(
            loss=f"{loss:.3f}",
            nll=f"{nll:.3f}",
            huber=f"{hub:.3f}",
            ndcg=f"{val_ndcg:.4f}",
            mae=f"{val_mae:.3f}",
        )
        if ckpt is not None:
            ckpt.parent.mkdir(parents=True, exist_ok=True)
            save_checkpoint(ckpt, trainer.trees(), asdict(run))

    if run.step == 0 and not run.history:
        evaluate(math.nan, math.nan, math.nan)  # the starting point is a candidate
    while not run.finished(config):
        fold, rows = batch_rows(folds, run.step, batch_size, config.seed)
        batch: Sequence[Any] = dataset.dense(rows)
        if shard is not None:
            batch = tuple(jax.device_put(a, shard[0]) for a in batch)
        loss, parts = trainer.step(fold.rest, batch, jax.random.fold_in(root_key, run.step))
        run.step += 1
        bar.update(1)
        if run.step % config.eval_every == 0 or run.step == config.max_steps:
            evaluate(float(loss), *(float(v) for v in parts))
    bar.close()
    return TrainResult(
        network=trainer.best_network(),
        best_step=int(run.best_step),
        best_ndcg=float(run.best_ndcg),
        steps=int(run.step),
        seconds=time.perf_counter() - started,
        history=list(run.history),
    )
