"""What the second stage knows of each corpus title, and its fitted scorer, as one file.

``rerank.npz`` beside the artifact's weights (listed in its manifest, ``model.artifact``) holds:

* per corpus title: standardized log popularity and mean score, year, media type code, franchise
  group, and per content block (genres, tags, studios) an embedding whose inner products are
  those of the title's L2-normalized binary rows (``model.coldstart.index``), truncated by an SVD
  where the vocabulary is large;
* the relations between corpus titles (CSR over corpus positions; per link whether it is strong —
  a typed sequel/prequel or asserted by MAL — and whether the other title is later);
* the scorer: the feature standardization, an MLP's layers (none hidden: a linear model) and the
  number of candidates it re-ranks.

Everything is plain arrays (no pickles); :func:`load_tables` checks every shape, so a broken
file is refused with one sentence instead of serving wrong scores.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from model.npyio import load_npz

RERANK_FILE = "rerank.npz"
BLOCKS = ("genre", "tag", "studio")
FEATURES = (
    "logit",
    "log_rank",
    "network",
    "rating",
    "popularity",
    "mean",
    "related",
    "follows",
    "follows_liked",
    "franchise",
    *BLOCKS,
    "type",
    "era",
    "no_year",
    "logit_x_size",
    "popularity_x_size",
    "graft_max",
    "graft_liked",
)  # the second stage's features (model.rerank.features), in the scorer's order


class RerankError(ValueError):
    """A second-stage file that cannot be served (missing arrays, wrong shapes, non-finite)."""


@dataclass(frozen=True)
class Tables:
    """The second stage: per-title tables, corpus relations and the fitted scorer."""

    popularity: np.ndarray  # (N,) standardized log1p(training users listing it)
    mean: np.ndarray  # (N,) standardized mean score of the training users
    year: np.ndarray  # (N,) float, 0 = unknown
    media: np.ndarray  # (N,) int64 media type code
    franchise: np.ndarray  # (N,) int64 group id
    content: dict[str, np.ndarray]  # block → (N, d) float32 embedding of the content rows
    rel_indptr: np.ndarray  # (N+1,) int64
    rel_other: np.ndarray  # (L,) int64
    rel_follows: np.ndarray  # (L,) bool: strong link to a later title
    feature_names: tuple[str, ...]
    feature_mean: np.ndarray  # (F,)
    feature_std: np.ndarray  # (F,)
    layers: tuple[tuple[np.ndarray, np.ndarray], ...]  # (kernel, bias); swish between layers
    n_candidates: int

    @property
    def n_items(self) -> int:
        return len(self.popularity)

    # Per-artifact constants built once on first use, so a serving call gathers them at its
    # candidates instead of recomputing or casting them.

    @cached_property
    def content_wide(self) -> tuple[np.ndarray, np.ndarray]:
        """The blocks' embeddings side by side (N, D) as float64 (the dtype their products
        with the list's float64 weights are computed in), and each column's block number."""
        blocks = [np.asarray(self.content[b], np.float32) for b in BLOCKS]
        block = np.repeat(np.arange(len(blocks)), [e.shape[1] for e in blocks])
        wide = np.concatenate(blocks, axis=1).astype(np.float64)
        return np.ascontiguousarray(wide), block

    @cached_property
    def content_slots(self) -> tuple[np.ndarray, np.ndarray]:
        """(rows, columns) of the embedding columns' places in a (D, blocks) block matrix."""
        block = self.content_wide[1]
        return np.arange(len(block)), block

    @cached_property
    def title_features(self) -> np.ndarray:
        """(N, len(FEATURES)) float64: the features that depend on the title alone (popularity,
        mean score, no year), zero elsewhere."""
        out = np.zeros((self.n_items, len(FEATURES)))
        out[:, FEATURES.index("popularity")] = self.popularity
        out[:, FEATURES.index("mean")] = self.mean
        out[:, FEATURES.index("no_year")] = self.year <= 0
        return out

    @cached_property
    def franchise_dense(self) -> np.ndarray:
        """(N,) the franchise groups renumbered 0..n_franchises-1 (same groups)."""
        dense: np.ndarray = np.unique(self.franchise, return_inverse=True)[1].reshape(-1)
        return dense

    @cached_property
    def n_franchises(self) -> int:
        return int(self.franchise_dense.max()) + 1 if self.n_items else 0

    @cached_property
    def rel_lengths(self) -> np.ndarray:
        """(N,) int64: each title's number of relations."""
        lengths: np.ndarray = np.diff(self.rel_indptr)
        return lengths

    @cached_property
    def n_media(self) -> int:
        return int(self.media.max()) + 1 if self.n_items else 0

    @cached_property
    def used(self) -> frozenset[str]:
        """The features the scorer reads (a feature fitted out has a zero row)."""
        kernel = self.layers[0][0]
        return frozenset(n for i, n in enumerate(self.feature_names) if np.any(kernel[i] != 0))

    def uses(self, name: str) -> bool:
        """Whether the scorer reads feature ``name``."""
        return name in self.used

    def delta(self, features: np.ndarray) -> np.ndarray:
        """(C,) the learned change of each candidate's logit, from raw (C, F) features."""
        h = (features - self.feature_mean) / self.feature_std
        for i, (kernel, bias) in enumerate(self.layers):
            h = h @ kernel + bias
            if i < len(self.layers) - 1:
                h = h * (0.5 * (1.0 + np.tanh(0.5 * h)))  # swish (Ramachandran et al. 2017)
        out: np.ndarray = h[:, 0]
        return out

    def to_arrays(self) -> dict[str, np.ndarray]:
        arrays: dict[str, np.ndarray] = {
            "popularity": self.popularity,
            "mean": self.mean,
            "year": self.year,
            "media": self.media,
            "franchise": self.franchise,
            "rel_indptr": self.rel_indptr,
            "rel_other": self.rel_other,
            "rel_follows": self.rel_follows,
            "feature_names": np.asarray(self.feature_names),
            "feature_mean": self.feature_mean,
            "feature_std": self.feature_std,
            "n_candidates": np.asarray(self.n_candidates, np.int64),
            "n_layers": np.asarray(len(self.layers), np.int64),
        }
        for block, embedding in self.content.items():
            arrays[f"{block}.embedding"] = embedding
        for i, (kernel, bias) in enumerate(self.layers):
            arrays[f"layer{i}.kernel"], arrays[f"layer{i}.bias"] = kernel, bias
        return arrays

    def to_bytes(self) -> bytes:
        """The ``.npz`` file's bytes (written by ``model.artifact.add_file``)."""
        buffer = io.BytesIO()
        np.savez(buffer, **self.to_arrays())  # type: ignore[arg-type]
        return buffer.getvalue()


def _get(arrays: dict[str, np.ndarray], key: str, shape: tuple[int, ...] | None = None) -> Any:
    if key not in arrays:
        raise RerankError(f"it lacks the array {key!r}")
    array = arrays[key]
    if shape is not None and array.shape != shape:
        raise RerankError(f"array {key!r} has shape {array.shape}, expected {shape}")
    if array.dtype.kind == "f" and not np.isfinite(array).all():
        raise RerankError(f"array {key!r} is not finite")
    return array


def _embedding(arrays: dict[str, np.ndarray], block: str, n: int) -> np.ndarray:
    embedding = np.asarray(_get(arrays, f"{block}.embedding"), np.float32)
    if embedding.ndim != 2 or embedding.shape[0] != n:
        raise RerankError(
            f"array '{block}.embedding' has shape {embedding.shape}, expected ({n}, …)"
        )
    return embedding


def tables_from_arrays(arrays: dict[str, np.ndarray], n_items: int) -> Tables:
    """Check and assemble :class:`Tables` (raises :class:`RerankError`)."""
    n = n_items
    names = tuple(str(x) for x in _get(arrays, "feature_names"))
    f = len(names)
    n_layers = int(_get(arrays, "n_layers", ()))
    layers = []
    width = f
    for i in range(n_layers):
        kernel = np.asarray(_get(arrays, f"layer{i}.kernel"), np.float64)
        if kernel.ndim != 2 or kernel.shape[0] != width:
            raise RerankError(f"layer{i}.kernel has shape {kernel.shape}, expected ({width}, …)")
        bias = np.asarray(_get(arrays, f"layer{i}.bias", (kernel.shape[1],)), np.float64)
        layers.append((kernel, bias))
        width = kernel.shape[1]
    if not layers or width != 1:
        raise RerankError("its scorer does not end in one output")
    rel_indptr = np.asarray(_get(arrays, "rel_indptr", (n + 1,)), np.int64)
    rel_other = np.asarray(_get(arrays, "rel_other"), np.int64)
    if rel_indptr[-1] != len(rel_other) or (len(rel_other) and rel_other.max() >= n):
        raise RerankError("its relations are inconsistent with the corpus")
    std = np.asarray(_get(arrays, "feature_std", (f,)), np.float64)
    if np.any(std <= 0):
        raise RerankError("its feature scales are not positive")
    return Tables(
        popularity=np.asarray(_get(arrays, "popularity", (n,)), np.float64),
        mean=np.asarray(_get(arrays, "mean", (n,)), np.float64),
        year=np.asarray(_get(arrays, "year", (n,)), np.float64),
        media=np.asarray(_get(arrays, "media", (n,)), np.int64),
        franchise=np.asarray(_get(arrays, "franchise", (n,)), np.int64),
        content={b: _embedding(arrays, b, n) for b in BLOCKS},
        rel_indptr=rel_indptr,
        rel_other=rel_other,
        rel_follows=np.asarray(_get(arrays, "rel_follows", rel_other.shape), bool),
        feature_names=names,
        feature_mean=np.asarray(_get(arrays, "feature_mean", (f,)), np.float64),
        feature_std=std,
        layers=tuple(layers),
        n_candidates=int(_get(arrays, "n_candidates", ())),
    )


def load_tables(path: str | os.PathLike[str], n_items: int) -> Tables:
    """Read a ``rerank.npz`` for a corpus of ``n_items`` (raises :class:`RerankError`)."""
    try:
        arrays = load_npz(path)
    except (OSError, ValueError, EOFError) as exc:
        raise RerankError(f"it is not a readable .npz ({exc})") from None
    except Exception as exc:  # a damaged zip raises zipfile.BadZipFile and kin
        raise RerankError(f"it is not a readable .npz ({type(exc).__name__})") from None
    return tables_from_arrays(arrays, n_items)
