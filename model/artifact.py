"""The model artifact: a directory that training writes and the serving engine reads.

Layout (every file listed in ``manifest.json`` with its sha256 and size)::

    weights/<name>.npy   one array per weight, names as in :mod:`model.reference`
    corpus_ids.npy       int64 (N,): MAL anime ids in corpus order
    item_counts.npy      int64 (N,): training users listing each item
    items.json           per corpus item {"anime_id", "title", "media_type"}
    config.json          :class:`model.reference.NetworkConfig` as a dict
    rerank.npz           optional: the second stage (``model.rerank``), added by :func:`add_file`
    manifest.json        format_version, created_at, files {path: {sha256, size}}, metadata

The directory is written under a temporary name next to the target and renamed into place, so a
reader never sees a half-written artifact. Loading checks the format version, the presence, size
and (by default) sha256 of every file, and every weight's shape against the config; anything
wrong raises :class:`ArtifactError` with one line naming the file, never a wrong answer. Weights
are memory-mapped read-only (``np.load(mmap_mode="r")``): loading is fast and the pages are shared
between processes serving the same model.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from model.npyio import load_npy
from model.reference import NetworkConfig
from model.rerank.tables import RERANK_FILE, RerankError, Tables, load_tables

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
CONFIG = "config.json"
ITEMS = "items.json"
CORPUS_IDS = "corpus_ids.npy"
ITEM_COUNTS = "item_counts.npy"
WEIGHTS_DIR = "weights"
MEDIA_TYPES = ("tv", "movie", "ova", "ona", "special", "music", "tv_special", "unknown")
"""MAL API's lowercase media type names (anime.csv's "TV", "Movie", … lowercased)."""

_HASH_CHUNK = 1 << 22


class ArtifactError(Exception):
    """An artifact is missing, truncated, corrupt, of another version or inconsistent."""


@dataclass(frozen=True)
class Artifact:
    """A loaded artifact; ``weights`` are read-only memory maps."""

    directory: Path
    config: NetworkConfig
    weights: dict[str, np.ndarray]
    corpus_ids: np.ndarray
    item_counts: np.ndarray
    items: list[dict[str, Any]]
    metadata: dict[str, Any]
    rerank: Tables | None = None  # the optional second stage (``rerank.npz``)

    @property
    def score_weight(self) -> float:
        """The unified score's presence weight w (DESIGN.md, "Score"); 0.3 unless set."""
        return float(self.metadata.get("score_weight", 0.3))

    @property
    def weight_bytes(self) -> int:
        return sum(int(w.nbytes) for w in self.weights.values())


def weight_file(name: str) -> str:
    """Relative path of one weight's file."""
    return f"{WEIGHTS_DIR}/{name}.npy"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(_HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _write_bytes(path: Path, data: bytes) -> None:
    with path.open("wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def _write_npy(path: Path, array: np.ndarray) -> None:
    with path.open("wb") as f:
        np.save(f, np.asarray(array, order="C"), allow_pickle=False)
        f.flush()
        os.fsync(f.fileno())


def _default_items(corpus_ids: np.ndarray) -> list[dict[str, Any]]:
    return [{"anime_id": int(a), "title": str(int(a)), "media_type": "unknown"} for a in corpus_ids]


def _check_items(
    items: Sequence[Mapping[str, Any]], corpus_ids: np.ndarray
) -> list[dict[str, Any]]:
    if len(items) != len(corpus_ids):
        raise ValueError(f"items has {len(items)} entries, corpus has {len(corpus_ids)}")
    checked = []
    for i, (item, anime_id) in enumerate(zip(items, corpus_ids, strict=True)):
        if int(item["anime_id"]) != int(anime_id):
            raise ValueError(f"items[{i}] is anime {item['anime_id']}, corpus has {anime_id}")
        media = str(item.get("media_type") or "unknown").strip().lower().replace(" ", "_")
        checked.append(
            {"anime_id": int(anime_id), "title": str(item.get("title", "")), "media_type": media}
        )
    return checked


def _check_weights(config: NetworkConfig, weights: Mapping[str, np.ndarray]) -> None:
    expected = config.shapes()
    missing = sorted(set(expected) - set(weights))
    extra = sorted(set(weights) - set(expected))
    if missing or extra:
        raise ValueError(f"weights do not match the config: missing {missing}, unexpected {extra}")
    for name, shape in expected.items():
        array = np.asarray(weights[name])
        if array.shape != shape:
            raise ValueError(f"weight {name} has shape {array.shape}, config says {shape}")
        if not np.issubdtype(array.dtype, np.floating):
            raise ValueError(f"weight {name} has dtype {array.dtype}, expected a float type")
        if not np.isfinite(array).all():
            raise ValueError(f"weight {name} is not finite (NaN or inf: did training diverge?)")


def _check_config(config: NetworkConfig) -> None:
    sizes = (config.n_items, *config.encoder, *config.decoder)
    if not config.encoder or min(sizes) < 1:
        raise ValueError(f"layer sizes must be ≥ 1 with at least one encoder layer: {sizes}")


def _check_score_weight(metadata: Mapping[str, Any]) -> None:
    """The unified score's w (DESIGN.md, "Score") must be a number in [0, 1] when set."""
    if "score_weight" not in metadata:
        return
    w = metadata["score_weight"]
    if isinstance(w, bool) or not isinstance(w, int | float) or not 0.0 <= w <= 1.0:
        raise ValueError(f"score_weight must be a number in [0, 1], got {w!r}")


def save_artifact(
    directory: str | os.PathLike[str],
    *,
    config: NetworkConfig,
    weights: Mapping[str, np.ndarray],
    corpus_ids: np.ndarray | Sequence[int],
    item_counts: np.ndarray | Sequence[int],
    items: Sequence[Mapping[str, Any]] | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> Path:
    """Write an artifact atomically to ``directory`` (replacing one already there) and return it.

    ``items`` defaults to one entry per corpus id with the id as title and media type "unknown".
    ``metadata`` must be JSON-serializable; "score_weight" sets the unified score's w.
    """
    target = Path(directory).resolve()
    ids = np.asarray(corpus_ids, dtype=np.int64)
    counts = np.asarray(item_counts, dtype=np.int64)
    n = config.n_items
    if ids.shape != (n,) or counts.shape != (n,):
        raise ValueError(
            f"corpus_ids {ids.shape} and item_counts {counts.shape} must both be ({n},)"
        )
    if len(np.unique(ids)) != n:
        raise ValueError("corpus_ids has duplicates")
    _check_config(config)
    _check_weights(config, weights)
    _check_score_weight(metadata or {})
    item_list = _check_items(items, ids) if items is not None else _default_items(ids)
    meta = json.loads(json.dumps(dict(metadata or {})))

    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.parent / f".{target.name}.tmp-{uuid.uuid4().hex[:12]}"
    try:
        (tmp / WEIGHTS_DIR).mkdir(parents=True)
        files: dict[str, Path] = {}
        for name in config.shapes():
            files[weight_file(name)] = tmp / weight_file(name)
            _write_npy(files[weight_file(name)], np.asarray(weights[name]))
        for rel, array in ((CORPUS_IDS, ids), (ITEM_COUNTS, counts)):
            files[rel] = tmp / rel
            _write_npy(files[rel], array)
        for rel, obj in ((ITEMS, item_list), (CONFIG, config.to_dict())):
            files[rel] = tmp / rel
            _write_bytes(files[rel], json.dumps(obj, ensure_ascii=False, indent=1).encode())
        manifest = {
            "format_version": FORMAT_VERSION,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "files": {
                rel: {"sha256": _sha256(path), "size": path.stat().st_size}
                for rel, path in sorted(files.items())
            },
            "metadata": meta,
        }
        _write_bytes(tmp / MANIFEST, json.dumps(manifest, indent=1).encode())
        _replace_dir(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target


def _replace_dir(tmp: Path, target: Path) -> None:
    # A directory cannot be renamed over a non-empty one: move the old one aside first, so the
    # target path always holds either the complete old artifact or the complete new one.
    old = None
    if target.exists():
        old = target.parent / f".{target.name}.old-{uuid.uuid4().hex[:12]}"
        target.rename(old)
    try:
        tmp.rename(target)
    except BaseException:
        if old is not None:
            old.rename(target)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    dir_fd = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def add_file(
    directory: str | os.PathLike[str],
    rel: str,
    data: bytes,
    metadata: Mapping[str, Any] | None = None,
) -> Path:
    """Add (or replace) one file of an existing artifact and list it in the manifest.

    The file is written under a temporary name and renamed into place, then the manifest is
    rewritten the same way with the file's sha256 and size (and ``metadata`` merged into its
    metadata), so loading checks it like the weights. Meant for a candidate directory before
    ``promote`` (a reader of a live directory could meet the new file under the old manifest
    for a moment, and would refuse it).
    """
    root = Path(directory)
    manifest = _read_json(root / MANIFEST, "the manifest")
    target = root / rel
    tmp = target.parent / f".{target.name}.tmp-{uuid.uuid4().hex[:12]}"
    try:
        _write_bytes(tmp, data)
        tmp.rename(target)
        manifest["files"][rel] = {"sha256": _sha256(target), "size": target.stat().st_size}
        manifest["metadata"] = {
            **manifest.get("metadata", {}),
            **json.loads(json.dumps(metadata or {})),
        }
        tmp = root / f".{MANIFEST}.tmp-{uuid.uuid4().hex[:12]}"
        _write_bytes(tmp, json.dumps(manifest, indent=1).encode())
        tmp.rename(root / MANIFEST)
    finally:
        tmp.unlink(missing_ok=True)
    return target


def _read_json(path: Path, what: str) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ArtifactError(f"{path}: {what} is missing") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ArtifactError(f"{path}: {what} is not valid JSON ({exc})") from None


def _load_npy(path: Path, mmap: bool) -> np.ndarray:
    try:
        array = load_npy(path, mmap_mode="r" if mmap else None)
    except (ValueError, OSError, EOFError) as exc:
        raise ArtifactError(f"{path}: unreadable .npy ({exc})") from None
    if not isinstance(array, np.ndarray):
        raise ArtifactError(f"{path}: not a single array")
    return array


def load_artifact(directory: str | os.PathLike[str], *, verify: bool = True) -> Artifact:
    """Load and check an artifact.

    ``verify=False`` skips only the sha256 and the scan of the weights for NaN/inf (sizes, shapes
    and everything else are still checked).
    """
    root = Path(directory)
    if not root.is_dir():
        raise ArtifactError(f"{root}: model directory not found")
    manifest = _read_json(root / MANIFEST, "the manifest")
    if not isinstance(manifest, dict) or "format_version" not in manifest:
        raise ArtifactError(f"{root / MANIFEST}: not an anirec manifest (no format_version)")
    version = manifest["format_version"]
    if version != FORMAT_VERSION:
        raise ArtifactError(
            f"{root / MANIFEST}: format version {version!r}, this anirec reads {FORMAT_VERSION}"
        )
    files = manifest.get("files")
    if not isinstance(files, dict):
        raise ArtifactError(f"{root / MANIFEST}: no file list")

    for rel, info in files.items():
        path = root / rel
        if not isinstance(info, dict):
            raise ArtifactError(f"{path}: manifest entry is not an object")
        if not path.is_file():
            raise ArtifactError(f"{path}: listed in the manifest but missing")
        size = path.stat().st_size
        if size != info.get("size"):
            raise ArtifactError(
                f"{path}: {size} bytes, manifest says {info.get('size')} (truncated or replaced)"
            )
        if verify and _sha256(path) != info.get("sha256"):
            raise ArtifactError(f"{path}: sha256 differs from the manifest (corrupt or replaced)")

    def require(rel: str) -> Path:
        if rel not in files:
            raise ArtifactError(f"{root / MANIFEST}: does not list {rel}")
        return root / rel

    try:
        config = NetworkConfig.from_dict(_read_json(require(CONFIG), "the config"))
        _check_config(config)
    except (KeyError, TypeError, ValueError) as exc:
        raise ArtifactError(f"{root / CONFIG}: invalid config ({exc})") from None
    weights: dict[str, np.ndarray] = {}
    for name, shape in config.shapes().items():
        path = require(weight_file(name))
        # np.memmap cannot be 0-d (it reads back as shape (1,)): scalars are loaded whole.
        array = _load_npy(path, mmap=bool(shape))
        if not shape:
            array.flags.writeable = False
        if array.shape != shape:
            raise ArtifactError(f"{path}: shape {array.shape}, the config says {shape}")
        if not np.issubdtype(array.dtype, np.floating):
            raise ArtifactError(f"{path}: dtype {array.dtype}, expected a float type")
        if verify and not np.isfinite(array).all():
            raise ArtifactError(f"{path}: not finite (NaN or inf); it would serve NaN scores")
        weights[name] = array
    n = config.n_items
    corpus_ids = _load_npy(require(CORPUS_IDS), mmap=False)
    item_counts = _load_npy(require(ITEM_COUNTS), mmap=False)
    for rel, array in ((CORPUS_IDS, corpus_ids), (ITEM_COUNTS, item_counts)):
        if array.shape != (n,) or array.dtype != np.int64:
            raise ArtifactError(
                f"{root / rel}: {array.dtype} {array.shape}, expected int64 ({n},) for the config"
            )
    if np.unique(corpus_ids).size != n:
        raise ArtifactError(f"{root / CORPUS_IDS}: duplicate anime ids")
    items = _read_json(require(ITEMS), "the item list")
    try:
        items = _check_items(items, corpus_ids)
    except (ValueError, KeyError, TypeError) as exc:
        raise ArtifactError(f"{root / ITEMS}: {exc}") from None
    metadata = manifest.get("metadata") or {}
    if not isinstance(metadata, dict):
        raise ArtifactError(f"{root / MANIFEST}: metadata is not an object")
    try:
        _check_score_weight(metadata)
    except ValueError as exc:
        raise ArtifactError(f"{root / MANIFEST}: {exc}") from None
    rerank = None
    if RERANK_FILE in files:
        try:
            rerank = load_tables(root / RERANK_FILE, n)
        except RerankError as exc:
            raise ArtifactError(f"{root / RERANK_FILE}: second stage refused: {exc}") from None
    return Artifact(
        directory=root,
        config=config,
        weights=weights,
        corpus_ids=corpus_ids,
        item_counts=item_counts,
        items=items,
        metadata=metadata,
        rerank=rerank,
    )
