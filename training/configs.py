"""Training configurations: ``full`` (the seed's sizes) and ``small`` (the validated default)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any


@dataclass(frozen=True)
class TrainConfig:
    """Network sizes, denoising, optimization, early stopping and the item–item graft."""

    name: str = "small"
    encoder: tuple[int, ...] = (600, 200)
    decoder: tuple[int, ...] = (600,)
    noise_std: float = 0.1
    presence_target: str = "rerank"  # full | dropped | rerank (the presence loss's targets)
    rerank_candidates: int = 200  # "rerank": the graft's top candidates the softmax runs over
    drop_rate: float = 0.4
    drop_spread: float = 0.16
    learning_rate: float = 3e-4
    batch_size: int = 512
    schedule: str = "constant"  # constant | cosine | plateau
    weight_decay: float = 0.0
    max_steps: int = 2000
    eval_every: int = 25
    patience: int = 6  # evaluations without a better validation criterion
    # Early-stopping criterion: "ndcg" (validation NDCG@100) or "mae" (validation rating MAE).
    # With the graft, ranking quality is settled after training by the residual scale α
    # (validation NDCG@100), so the checkpoint is chosen for the rating head.
    select: str = "mae"
    graft: bool = True  # logits += scale · (presence · G), G an item–item model
    graft_kind: str = "dlae"  # dlae (Steck 2020) | ease (Steck 2019): G, tuned on validation
    graft_lambdas: tuple[float, ...] = (100.0, 200.0, 400.0)  # EASE's λ grid
    graft_scale: float | None = None  # None: fitted on training users before training
    graft_zero_init: bool = True  # the network's presence output starts at zero
    train_item_item: bool = False
    rating_offset: bool = True  # r̂ += the profile's mean input value (model.reference)
    graft_folds: int = 1  # cross-fit G over this many folds of training users (≤1: no)
    seed: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def with_overrides(self, **changes: Any) -> TrainConfig:
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


CONFIGS: dict[str, TrainConfig] = {
    "small": TrainConfig(),
    "full": TrainConfig(
        name="full",
        encoder=(2048, 512),
        decoder=(1024, 2048),
        graft=False,
        rating_offset=False,
        presence_target="full",
        select="ndcg",
        max_steps=20000,
        eval_every=100,
    ),
}
