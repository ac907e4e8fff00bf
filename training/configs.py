"""Training configurations: ``full`` (the seed's sizes) and ``small`` (the validated default).

The string-valued options are ``Literal`` types and are checked when a :class:`TrainConfig` is
built, so a typo (``presence_target="droped"``) fails at once instead of training another model.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import Any, Literal, get_args

PresenceTarget = Literal["full", "dropped", "rerank"]
Schedule = Literal["constant", "cosine", "plateau"]
Criterion = Literal["ndcg", "mae"]
GraftKind = Literal["dlae", "ease"]

CHOICES: dict[str, tuple[str, ...]] = {
    "presence_target": get_args(PresenceTarget),
    "schedule": get_args(Schedule),
    "select": get_args(Criterion),
    "graft_kind": get_args(GraftKind),
}


@dataclass(frozen=True)
class TrainConfig:
    """Network sizes, denoising, optimization, early stopping and the item–item graft."""

    name: str = "small"
    encoder: tuple[int, ...] = (600, 200)
    decoder: tuple[int, ...] = (600,)
    noise_std: float = 0.1
    # The presence loss's targets: "full" reconstructs the whole profile (DESIGN.md);
    # "dropped" only what the corruption left out; "rerank" the dropped entries among the
    # graft's top ``rerank_candidates`` (see ``training.objective``).
    presence_target: PresenceTarget = "rerank"
    rerank_candidates: int = 200
    drop_rate: float = 0.4
    drop_spread: float = 0.16
    learning_rate: float = 3e-4
    batch_size: int = 512
    schedule: Schedule = "constant"
    weight_decay: float = 0.0
    max_steps: int = 2000
    eval_every: int = 25
    patience: int = 6  # evaluations without a better validation criterion
    # Early-stopping criterion: "ndcg" (validation NDCG@100) or "mae" (validation rating MAE).
    # With the graft, ranking quality is settled after training by the residual scale α
    # (validation NDCG@100), so the checkpoint is chosen for the rating head.
    select: Criterion = "mae"
    graft: bool = True  # logits += scale · (presence · G), G an item–item model
    graft_kind: GraftKind = "dlae"  # dlae (Steck 2020) | ease (Steck 2019): G, tuned on validation
    graft_lambdas: tuple[float, ...] = (100.0, 200.0, 400.0)  # EASE's λ grid
    graft_scale: float | None = None  # None: fitted on training users before training
    graft_zero_init: bool = True  # the network's presence output starts at zero
    train_item_item: bool = False
    rating_offset: bool = True  # r̂ += the profile's mean input value (model.reference)
    graft_folds: int = 1  # cross-fit G over this many folds of training users (≤1: no)
    seed: int = 0

    def __post_init__(self) -> None:
        for option in fields(self):
            allowed = CHOICES.get(option.name)
            value = getattr(self, option.name)
            if allowed is not None and value not in allowed:
                raise ValueError(
                    f"TrainConfig.{option.name}={value!r} is not one of "
                    f"{', '.join(repr(a) for a in allowed)}"
                )

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
