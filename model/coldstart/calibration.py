"""The side channel's scores on the network's scale: a conditional logit fitted with NumPy.

Every candidate title c of a member gets a utility. A title the network knows keeps its log
unified score ``s_c`` (``ProfilePass.log_scores``, DESIGN.md "Score"), scaled by ``a`` and plus
``θ_corpus·x_c`` (the relation signal from list entries the network does not know); a title
it does not know gets ``θ_new·x_c`` (:mod:`model.coldstart.features`). Which held-out title the
member watches next is modelled as a choice among all candidates, softmax over utilities
(McFadden 1974, "Conditional logit analysis of qualitative choice behavior"; the same multinomial
likelihood as the network's presence head, Liang et al. 2018). Maximizing it over validation
members with known titles hidden from the network as if they were new fits a, θ_corpus and θ_new
together, so both kinds of title are ranked on one scale: served, a new title's score is
``exp(θ_new·x / a)``, directly comparable to the network's unified score.

The fit is Newton's method with a small L2 penalty; the negatives of each member are a uniform
sample, reweighted by the inverse sampling rate (importance-weighted sampled softmax, Bengio &
Senécal 2008), so a member's ~4k candidates need not all be in memory.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from model.coldstart.features import CORPUS_FEATURES, MISSING_FEATURES, NEW_FEATURES

SIDECAR = "coldstart.json"
"""The calibration's file in (or beside) a model directory."""

FORMAT = "anirec-coldstart-1"


class CalibrationError(ValueError):
    """A calibration file is missing a field, of another format or for other features."""


@dataclass(frozen=True)
class Calibration:
    """The fitted map: ``a`` on the network's log score, θ per feature; ``info`` says how it was
    fitted (data, users, seeds, validation numbers)."""

    a: float
    new: Mapping[str, float]
    corpus: Mapping[str, float]
    info: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not np.isfinite(self.a) or self.a <= 0:
            raise CalibrationError(f"the network's coefficient must be positive, got {self.a}")
        missing = [
            f for f in (*NEW_FEATURES, *CORPUS_FEATURES) if f not in {**self.new, **self.corpus}
        ]
        if missing:
            raise CalibrationError(f"calibration lacks features {missing}")

    @property
    def theta_new(self) -> np.ndarray:
        """θ_new / a, in ``NEW_FEATURES`` order: a new title's log score is ``x · theta_new``.

        Missing-value indicators (``MISSING_FEATURES``) count at most 0 here too, so a file
        fitted before the fit kept them ≤ 0 (or :data:`DEFAULT`) never lifts a title for what
        is not known of it."""
        theta = [
            min(self.new[f], 0.0) if f in MISSING_FEATURES else self.new[f] for f in NEW_FEATURES
        ]
        return np.asarray(theta) / self.a

    @property
    def theta_corpus(self) -> np.ndarray:
        """θ_corpus / a: added to a known title's log score."""
        return np.asarray([self.corpus[f] for f in CORPUS_FEATURES]) / self.a

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "a": self.a,
            "new": dict(self.new),
            "corpus": dict(self.corpus),
            "info": dict(self.info),
        }

    @classmethod
    def from_json(cls, obj: Any, source: str = "calibration") -> Calibration:
        if not isinstance(obj, dict) or obj.get("format") != FORMAT:
            raise CalibrationError(f"{source}: not an anirec cold-start calibration ({FORMAT})")
        try:
            return cls(
                float(obj["a"]),
                {str(k): float(v) for k, v in obj["new"].items()},
                {str(k): float(v) for k, v in obj["corpus"].items()},
                dict(obj.get("info") or {}),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise CalibrationError(f"{source}: {exc}") from None

    def save(self, path: str | os.PathLike[str]) -> Path:
        target = Path(path)
        tmp = target.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.to_json(), indent=2) + "\n")
        tmp.replace(target)
        return target

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Calibration:
        p = Path(path)
        try:
            obj = json.loads(p.read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise CalibrationError(f"{p}: {exc}") from None
        return cls.from_json(obj, str(p))


DEFAULT = Calibration(
    a=1.2436,
    new={
        "bias": -16.159,
        "follows": 0.5894,
        "follows_liked": -0.0717,
        "related": 1.0138,
        "genre": 3.2127,
        "tag": 0.327,
        "studio": 1.2955,
        "type": 1.6066,
        "era": -1.1384,
        "no_year": 0.0,
        "popularity": 0.9907,
        "no_popularity": 0.0,
        "mean": 0.7741,
        "no_mean": 0.0,
    },
    corpus={
        "follows_unknown": 1.2002,
        "follows_liked_unknown": -0.0397,
    },
    info={
        "source": "built in: fitted on the default model (anime-5k, 1,407 validation choice "
        "sets, seeds 0-2, missing-value indicators <= 0), used when a model has no "
        "coldstart.json",
        "command": "python -m training fit-coldstart --model DIR --data ../shared/data/anime-5k",
    },
)
"""Used when a model has no fitted calibration: the one fitted on the default model (a model
trained on other data should run ``fit-coldstart``; ``make model`` does)."""


@dataclass(frozen=True)
class ChoiceSet:
    """One member's candidates for the fit: design rows (columns: log score, CORPUS_FEATURES,
    NEW_FEATURES; zero where they do not apply), sampling weights and the held-out targets."""

    design: np.ndarray  # (m, P)
    weight: np.ndarray  # (m,) inverse sampling rate (1 for targets and unsampled sets)
    target: np.ndarray  # (m,) bool


def choice_set(
    log_scores: np.ndarray,
    corpus_x: np.ndarray,
    corpus_target: np.ndarray,
    new_x: np.ndarray,
    new_target: np.ndarray,
    rng: np.random.Generator,
    negatives: int = 1000,
) -> ChoiceSet:
    """A member's :class:`ChoiceSet`: every target, and ``negatives`` sampled non-targets."""
    pc, pn = corpus_x.shape[1], new_x.shape[1]
    design = np.zeros((len(log_scores) + len(new_x), 1 + pc + pn))
    design[: len(log_scores), 0] = log_scores
    design[: len(log_scores), 1 : 1 + pc] = corpus_x
    design[len(log_scores) :, 1 + pc :] = new_x
    target = np.concatenate([corpus_target, new_target]).astype(bool)
    others = np.flatnonzero(~target)
    weight = np.ones(len(target))
    if len(others) > negatives:
        chosen = rng.choice(others, negatives, replace=False)
        keep = np.concatenate([np.flatnonzero(target), np.sort(chosen)])
        weight[chosen] = len(others) / negatives
        return ChoiceSet(design[keep], weight[keep], target[keep])
    return ChoiceSet(design, weight, target)


def _objective(
    beta: np.ndarray, sets: Sequence[ChoiceSet], ridge: np.ndarray
) -> tuple[float, np.ndarray, np.ndarray]:
    """Penalized log-likelihood, its gradient and Hessian."""
    ll = -float(ridge @ beta**2)
    grad = -2.0 * ridge * beta
    hess = -2.0 * np.diag(ridge)
    for s in sets:
        u = s.design @ beta
        n_t = int(s.target.sum())
        if n_t == 0:
            continue
        shift = u.max()
        e = s.weight * np.exp(u - shift)
        total = e.sum()
        pi = e / total
        mean = pi @ s.design
        ll += float(u[s.target].sum() - n_t * (np.log(total) + shift))
        grad += s.design[s.target].sum(axis=0) - n_t * mean
        centered = s.design - mean
        hess -= n_t * (centered.T * pi) @ centered
    return ll, grad, hess


def upper_bounds() -> np.ndarray:
    """(P,) upper bound per fitted coefficient (design column order): 0 for the missing-value
    indicators (``MISSING_FEATURES``), +∞ for the rest."""
    upper = np.full(1 + len(CORPUS_FEATURES) + len(NEW_FEATURES), np.inf)
    offset = 1 + len(CORPUS_FEATURES)
    for f in MISSING_FEATURES:
        upper[offset + NEW_FEATURES.index(f)] = 0.0
    return upper


def fit_calibration(
    sets: Sequence[ChoiceSet],
    *,
    ridge: float = 1e-2,
    iterations: int = 100,
    tol: float = 1e-4,
    info: Mapping[str, Any] | None = None,
) -> Calibration:
    """The conditional logit's maximum (penalized) likelihood over ``sets`` with the
    missing-value indicators' coefficients ≤ 0: projected Newton (Bertsekas 1982, "Projected
    Newton methods for optimization problems with simple constraints"), step halving when the
    likelihood would fall, until the projected gradient is below ``tol``. The log-likelihood is
    concave and the constraints are a box, so this finds the constrained maximum; the network's
    coefficient is not penalized.

    Why constrained: missing information must never raise a score. Unconstrained, validation
    lists full of titles that had not aired when the data was taken (no mean, no year yet)
    give those indicators large positive weights, and unaired titles rank first at serving.
    """
    p = 1 + len(CORPUS_FEATURES) + len(NEW_FEATURES)
    upper = upper_bounds()
    beta = np.zeros(p)
    beta[0] = 1.0
    penalty = np.full(p, ridge)
    penalty[0] = 0.0
    ll, grad, hess = _objective(beta, sets, penalty)
    for _ in range(iterations):
        # Coefficients at their bound that the likelihood pushes further up stay there.
        held = (beta >= upper) & (grad > 0)
        free = ~held
        if np.abs(np.where(held, 0.0, grad)).max() < tol:
            break
        step = np.zeros(p)
        sub = hess[np.ix_(free, free)]
        step[free] = np.linalg.solve(sub - 1e-9 * np.eye(int(free.sum())), grad[free])
        t = 1.0
        while t > 1e-8:
            candidate = np.minimum(beta - t * step, upper)
            new_ll, new_grad, new_hess = _objective(candidate, sets, penalty)
            if new_ll >= ll:
                break
            t /= 2
        else:
            break  # no ascent along Newton's direction: at the maximum up to rounding
        beta, ll, grad, hess = candidate, new_ll, new_grad, new_hess
    pc = len(CORPUS_FEATURES)
    return Calibration(
        a=float(max(beta[0], 1e-6)),
        corpus={f: float(v) for f, v in zip(CORPUS_FEATURES, beta[1 : 1 + pc], strict=True)},
        new={f: float(v) for f, v in zip(NEW_FEATURES, beta[1 + pc :], strict=True)},
        info={**(info or {}), "log_likelihood": ll, "members": len(sets)},
    )


def find_calibration(model_dir: str | os.PathLike[str]) -> Calibration:
    """The calibration fitted for a model (``DIR/coldstart.json``), else :data:`DEFAULT`.

    A file that is there but unreadable raises :class:`CalibrationError` (never a silent
    fallback on a broken file).
    """
    path = Path(model_dir) / SIDECAR
    return Calibration.load(path) if path.is_file() else DEFAULT
