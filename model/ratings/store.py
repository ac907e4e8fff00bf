"""``ratings.npz``: the fitted rating model, an optional file beside the artifact's weights.

The file holds the model's arrays, the artifact's corpus ids (so a model fitted for another
corpus is refused), a JSON header (format version, k, global mean, fit info) and the sha256 of
all of them. It is written under a temporary name and renamed into place, so a reader sees the
old file or the new one, never half of one. Loading checks, like the artifact's weights, the
digest, every shape against the corpus and that every number is finite; anything wrong raises
:class:`RatingModelError` with one sentence naming the file. No file means no fitted model:
:func:`find_rating_model` returns None and the recommender serves the network's rating head.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import uuid
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from model.artifact import ArtifactError
from model.npyio import NPY_LOCK
from model.ratings.neighbourhood import FEATURES, Neighbours, RatingModel

SIDECAR = "ratings.npz"
FORMAT_VERSION = 1
_ARRAYS = (
    "item_bias",
    "ratings_indices",
    "ratings_weights",
    "lists_indices",
    "lists_weights",
    "coefficients",
    "corpus_ids",
    "header",
)


class RatingModelError(ArtifactError):
    """A rating model file that is corrupt, of another version or for another corpus."""


def _digest(arrays: dict[str, np.ndarray]) -> str:
    digest = hashlib.sha256()
    for name in _ARRAYS:
        array = np.ascontiguousarray(arrays[name])
        digest.update(f"{name}:{array.dtype.str}:{array.shape}".encode())
        digest.update(array.tobytes())
    return digest.hexdigest()


def save_rating_model(
    model: RatingModel, directory: str | os.PathLike[str], corpus_ids: np.ndarray
) -> Path:
    """Write ``model`` to ``directory/ratings.npz`` atomically and return the path."""
    ids = np.asarray(corpus_ids, np.int64)
    _check(model, ids, "the model to save")
    header = {
        "format_version": FORMAT_VERSION,
        "features": list(FEATURES),
        "neighbours": model.neighbours,
        "global_mean": model.global_mean,
        "info": model.info,
    }
    arrays: dict[str, np.ndarray] = {
        "item_bias": np.asarray(model.item_bias, np.float32),
        "ratings_indices": np.asarray(model.ratings.indices, np.int32),
        "ratings_weights": np.asarray(model.ratings.weights, np.float16),
        "lists_indices": np.asarray(model.lists.indices, np.int32),
        "lists_weights": np.asarray(model.lists.weights, np.float16),
        "coefficients": np.asarray(model.coefficients, np.float64),
        "corpus_ids": ids,
        "header": np.frombuffer(json.dumps(header).encode(), np.uint8),
    }
    arrays["sha256"] = np.frombuffer(_digest(arrays).encode(), np.uint8)
    target = Path(directory) / SIDECAR
    tmp = target.parent / f".{target.name}.tmp-{uuid.uuid4().hex[:12]}"
    buffer = io.BytesIO()
    np.savez(buffer, allow_pickle=False, **arrays)
    try:
        with tmp.open("wb") as f:
            f.write(buffer.getvalue())
            f.flush()
            os.fsync(f.fileno())
        tmp.replace(target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target


def _check(model: RatingModel, corpus_ids: np.ndarray, where: str) -> None:
    n = corpus_ids.shape[0]
    if model.item_bias.shape != (n,):
        raise RatingModelError(
            f"{where}: item_bias {model.item_bias.shape} does not fit the artifact's "
            f"{n} corpus items"
        )
    for name, kept in (("ratings", model.ratings), ("lists", model.lists)):
        shape = kept.indices.shape
        if len(shape) != 2 or shape[0] != n or kept.weights.shape != shape:
            raise RatingModelError(
                f"{where}: {name} neighbours {shape} and {kept.weights.shape} do not fit "
                f"the artifact's {n} corpus items"
            )
        if kept.indices.size and not 0 <= int(kept.indices.min()) <= int(kept.indices.max()) < n:
            raise RatingModelError(f"{where}: {name} neighbours point outside the corpus")
    if model.coefficients.shape != (len(FEATURES),):
        raise RatingModelError(
            f"{where}: {model.coefficients.shape[0]} coefficients for {len(FEATURES)} features"
        )
    arrays = (model.item_bias, model.ratings.weights, model.lists.weights, model.coefficients)
    finite = all(np.isfinite(a).all() for a in arrays)
    if not finite or not np.isfinite(model.global_mean) or model.neighbours < 1:
        raise RatingModelError(f"{where}: holds NaN, inf or no neighbours (a diverged fit?)")


def load_rating_model(path: str | os.PathLike[str], corpus_ids: np.ndarray) -> RatingModel:
    """Read and check one rating model file for an artifact with ``corpus_ids``."""
    path = Path(path)
    try:
        data = path.read_bytes()  # np.load leaves a file open when a truncated zip fails
        with NPY_LOCK, np.load(io.BytesIO(data), allow_pickle=False) as npz:
            arrays = {key: npz[key] for key in npz.files}
        header: dict[str, Any] = json.loads(bytes(arrays["header"]).decode())
        digest = bytes(arrays["sha256"]).decode()
    except FileNotFoundError:
        raise RatingModelError(f"{path}: the rating model file is missing") from None
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile, UnicodeDecodeError) as exc:
        raise RatingModelError(f"{path}: unreadable rating model file ({exc})") from None
    if digest != _digest(arrays):
        raise RatingModelError(f"{path}: sha256 differs from the file's own (corrupt or edited)")
    if header.get("format_version") != FORMAT_VERSION or header.get("features") != list(FEATURES):
        raise RatingModelError(
            f"{path}: format {header.get('format_version')!r} with features "
            f"{header.get('features')!r}; this anirec reads format {FORMAT_VERSION}"
        )
    ids = np.asarray(corpus_ids, np.int64)
    if not np.array_equal(arrays["corpus_ids"], ids):
        raise RatingModelError(f"{path}: fitted for another corpus than this artifact's")
    model = RatingModel(
        item_bias=arrays["item_bias"],
        ratings=Neighbours(arrays["ratings_indices"], arrays["ratings_weights"]),
        lists=Neighbours(arrays["lists_indices"], arrays["lists_weights"]),
        coefficients=arrays["coefficients"],
        global_mean=float(header["global_mean"]),
        neighbours=int(header["neighbours"]),
        info=dict(header.get("info") or {}),
    )
    _check(model, ids, str(path))
    return model


def find_rating_model(
    directory: str | os.PathLike[str], corpus_ids: np.ndarray
) -> RatingModel | None:
    """The artifact's fitted rating model (``DIR/ratings.npz``), None when it has none.

    A file that is there but broken raises :class:`RatingModelError`: never a silent fallback.
    """
    path = Path(directory) / SIDECAR
    return load_rating_model(path, corpus_ids) if path.is_file() else None
