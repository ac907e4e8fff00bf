"""Dataset building: corpus selection, user filters, a seeded user split, compact ``.npz`` files.

Collecting data writes files; training only reads files (nanoGPT ``data/*/prepare.py``). The
dataset keeps, per user, the corpus entries that enter the model's input (the status rule),
encoded with :func:`model.encoding.encode_profile` so training and serving agree, in CSR form:
``indptr`` (U+1), ``indices`` (int32 corpus positions), ``values`` (float32 normalized ratings),
``scored`` (bool), plus the raw ``scores`` (int8, 0 = unscored) and ``statuses`` (int8 code,
−1 = none) so evaluation can re-encode a fold-in subset exactly as serving would.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from model.encoding import encode_profile
from model.npyio import load_npz
from model.profile import STATUSES, ProfileEntry, dedupe

TRAIN, VALIDATION, TEST = 0, 1, 2
SPLIT_NAMES = ("train", "validation", "test")


@dataclass(frozen=True)
class DatasetOptions:
    """Corpus and user filters; the split is seeded and by user (strong generalization)."""

    max_items: int = 6000
    min_item_users: int = 10
    min_user_entries: int = 5
    max_list_size: int = 1500
    validation_fraction: float = 0.1
    test_fraction: float = 0.1
    seed: int = 0


@dataclass(frozen=True)
class Dataset:
    """Users × corpus items in CSR form, with the corpus and the user split."""

    corpus_ids: np.ndarray  # int64 (N,) MAL anime ids, most-listed first
    item_counts: np.ndarray  # int64 (N,) training users with the item in their input
    titles: np.ndarray  # str (N,)
    media_types: np.ndarray  # str (N,)
    user_ids: np.ndarray  # int64 (U,)
    split: np.ndarray  # int8 (U,) TRAIN / VALIDATION / TEST
    indptr: np.ndarray  # int64 (U+1,)
    indices: np.ndarray  # int32 (nnz,)
    values: np.ndarray  # float32 (nnz,)
    scored: np.ndarray  # bool (nnz,)
    scores: np.ndarray  # int8 (nnz,)
    statuses: np.ndarray  # int8 (nnz,)
    info: dict = field(default_factory=dict)

    @property
    def n_items(self) -> int:
        return int(self.corpus_ids.size)

    @property
    def n_users(self) -> int:
        return int(self.user_ids.size)

    def users(self, part: int) -> np.ndarray:
        """Row numbers of the users in one split part."""
        return np.flatnonzero(self.split == part)

    def row(self, user: int) -> slice:
        return slice(int(self.indptr[user]), int(self.indptr[user + 1]))

    def entries(self, user: int) -> list[ProfileEntry]:
        """A user's input entries back as profile entries (raw scores and statuses)."""
        s = self.row(user)
        return [
            ProfileEntry(int(a), int(sc), None if st < 0 else STATUSES[st])
            for a, sc, st in zip(
                self.corpus_ids[self.indices[s]], self.scores[s], self.statuses[s], strict=True
            )
        ]

    def index(self) -> dict[int, int]:
        """anime id → corpus position."""
        return {int(a): i for i, a in enumerate(self.corpus_ids)}

    def dense(self, users: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(presence, values, scored) dense (len(users), N) float32 matrices of dataset rows."""
        users = np.asarray(users, np.int64)
        starts, ends = self.indptr[users], self.indptr[users + 1]
        lengths = ends - starts
        # Positions of every wanted entry in the CSR arrays, row after row.
        flat = np.repeat(starts - np.cumsum(np.r_[0, lengths[:-1]]), lengths) + np.arange(
            lengths.sum()
        )
        r = np.repeat(np.arange(len(users)), lengths)
        c = self.indices[flat]
        shape = (len(users), self.n_items)
        presence, values, scored = (np.zeros(shape, np.float32) for _ in range(3))
        presence[r, c] = 1.0
        values[r, c] = self.values[flat]
        scored[r, c] = self.scored[flat]
        return presence, values, scored

    def summary(self) -> dict:
        """Sizes for logs and the artifact's metadata."""
        sizes = np.diff(self.indptr)
        return {
            "n_items": self.n_items,
            "n_users": self.n_users,
            **{f"n_{name}": int((self.split == i).sum()) for i, name in enumerate(SPLIT_NAMES)},
            "n_entries": int(self.indices.size),
            "scored_fraction": round(float(self.scored.mean()) if self.scored.size else 0.0, 4),
            "median_entries_per_user": float(np.median(sizes)) if sizes.size else 0.0,
            **self.info,
        }

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        arrays = {name: getattr(self, name) for name in _ARRAYS}
        with path.open("wb") as handle:
            np.savez(handle, info=np.asarray(json.dumps(self.info)), **arrays)
        return path

    @classmethod
    def load(cls, path: str | Path) -> Dataset:
        data = load_npz(Path(path))
        arrays = {name: data[name] for name in _ARRAYS}
        info = json.loads(str(data["info"]))
        return cls(**arrays, info=info)


_ARRAYS = (
    "corpus_ids",
    "item_counts",
    "titles",
    "media_types",
    "user_ids",
    "split",
    "indptr",
    "indices",
    "values",
    "scored",
    "scores",
    "statuses",
)


def split_users(n_users: int, options: DatasetOptions) -> np.ndarray:
    """A seeded random assignment of users to train / validation / test."""
    rng = np.random.default_rng(options.seed)
    order = rng.permutation(n_users)
    n_val = round(n_users * options.validation_fraction)
    n_test = round(n_users * options.test_fraction)
    split = np.full(n_users, TRAIN, dtype=np.int8)
    split[order[:n_val]] = VALIDATION
    split[order[n_val : n_val + n_test]] = TEST
    return split


def build_dataset(
    profiles: Mapping[int, Sequence[ProfileEntry]],
    options: DatasetOptions = DatasetOptions(),
    anime: Mapping[int, object] | None = None,
) -> Dataset:
    """Select the corpus on training users, filter users, encode every profile.

    The split is drawn first, over users in sorted-id order, so the corpus is chosen from the
    training users' lists only (no test-user information leaks into the vocabulary). A user is
    kept with at least ``min_user_entries`` in-corpus input entries and at most
    ``max_list_size`` list entries (all statuses, in and out of the corpus).
    """
    user_ids = np.asarray(sorted(profiles), dtype=np.int64)
    clean = {int(u): dedupe(profiles[int(u)]) for u in user_ids}
    split = split_users(len(user_ids), options)
    counts: dict[int, int] = {}
    for u, part in zip(user_ids, split, strict=True):
        if part != TRAIN or len(clean[int(u)]) > options.max_list_size:
            continue
        for e in clean[int(u)]:
            if e.enters_input:
                counts[e.anime_id] = counts.get(e.anime_id, 0) + 1
    ranked = sorted(
        (a for a, c in counts.items() if c >= options.min_item_users),
        key=lambda a: (-counts[a], a),
    )[: options.max_items]
    corpus_ids = np.asarray(ranked, dtype=np.int64)
    index = {a: i for i, a in enumerate(ranked)}
    status_code = {s: i for i, s in enumerate(STATUSES)}

    kept_users: list[int] = []
    kept_split: list[int] = []
    indptr = [0]
    chunks: dict[str, list[np.ndarray]] = {k: [] for k in ("i", "v", "m", "s", "t")}
    for u, part in zip(user_ids, split, strict=True):
        entries = clean[int(u)]
        if len(entries) > options.max_list_size:
            continue
        encoded = encode_profile(entries, index)
        if encoded.indices.size < options.min_user_entries:
            continue
        by_position = {index[e.anime_id]: e for e in entries if e.anime_id in index}
        raw = [by_position[int(p)] for p in encoded.indices]
        chunks["i"].append(encoded.indices.astype(np.int32))
        chunks["v"].append(encoded.values.astype(np.float32))
        chunks["m"].append(encoded.scored)
        chunks["s"].append(np.asarray([e.score for e in raw], dtype=np.int8))
        chunks["t"].append(
            np.asarray([-1 if e.status is None else status_code[e.status] for e in raw], np.int8)
        )
        kept_users.append(int(u))
        kept_split.append(int(part))
        indptr.append(indptr[-1] + encoded.indices.size)

    def cat(key: str, dtype: type) -> np.ndarray:
        return np.concatenate(chunks[key]).astype(dtype) if chunks[key] else np.zeros(0, dtype)

    split_arr = np.asarray(kept_split, dtype=np.int8)
    indptr_arr = np.asarray(indptr, dtype=np.int64)
    indices = cat("i", np.int32)
    train_rows = np.flatnonzero(split_arr == TRAIN)
    lengths = np.diff(indptr_arr)
    row_of = np.repeat(np.arange(len(kept_users)), lengths)
    in_train = np.isin(row_of, train_rows)
    item_counts = np.bincount(indices[in_train], minlength=len(ranked)).astype(np.int64)
    titles, media = [], []
    for a in ranked:
        meta = anime.get(a) if anime is not None else None
        titles.append(getattr(meta, "name", "") or f"anime {a}")
        media.append(getattr(meta, "media_type", "") or "unknown")
    return Dataset(
        corpus_ids=corpus_ids,
        item_counts=item_counts,
        titles=np.asarray(titles, dtype=str),
        media_types=np.asarray(media, dtype=str),
        user_ids=np.asarray(kept_users, dtype=np.int64),
        split=split_arr,
        indptr=indptr_arr,
        indices=indices,
        values=cat("v", np.float32),
        scored=cat("m", bool),
        scores=cat("s", np.int8),
        statuses=cat("t", np.int8),
        info={"options": options.__dict__, "source_users": len(user_ids)},
    )


def anime_file(directory: Path) -> Path | None:
    """The folder's CooperUnion ``anime.csv`` (or ``anime.csv.gz``) when it has that layout or a
    subset of its columns (the Kaggle 2020 download has an ``anime.csv`` of another layout, which
    is not metadata we read)."""
    from model.listformats import open_list_file
    from training.data.kaggle import has_anime_header

    for name in ("anime.csv", "anime.csv.gz"):
        path = directory / name
        if not path.is_file():
            continue
        with open_list_file(path) as handle:
            line = handle.readline().decode("utf-8", errors="replace")
        if has_anime_header([h.strip() for h in line.lstrip("\ufeff").strip().split(",")]):
            return path
    return None


KAGGLE_ONLY = ([("rating.csv", "kaggle")], [("rating.csv.gz", "kaggle")])


def load_data_dir(directory: str | Path, options: DatasetOptions = DatasetOptions()) -> Dataset:
    """Build a dataset from a data directory.

    CooperUnion ``rating.csv`` (+ ``anime.csv`` for titles and media types; either may be
    gzipped, as the shipped sample is) is read by the fast loader; any other layout that
    :func:`training.data.load_profiles` detects (azathoth42 CSV, MAL exports, collector output)
    is read by it, users numbered in its key order.
    """
    from training import data
    from training.data.kaggle import load_anime

    directory = Path(directory)
    anime_path = anime_file(directory)
    anime = load_anime(anime_path) if anime_path is not None else None
    named, report = data.read_profiles(directory)
    print(report.summary(), file=sys.stderr)  # per file: what was read, what was skipped and why
    if [(Path(f.path).name, f.format) for f in report.read] in KAGGLE_ONLY:
        profiles = {int(user): entries for user, entries in named.items()}  # CooperUnion ids
    else:
        profiles, _ = data.index_users(named)
    dataset = build_dataset(profiles, options, anime)
    dataset.info["source"] = str(directory)
    return dataset


def open_dataset(path: str | Path, options: DatasetOptions = DatasetOptions()) -> Dataset:
    """A built ``.npz`` file, or a raw data directory built in memory with ``options``."""
    path = Path(path)
    if path.is_dir():
        return load_data_dir(path, options)
    return Dataset.load(path)


def add_options(parser: argparse.ArgumentParser) -> None:
    """The dataset options as command-line flags (shared by build-dataset, train, evaluate)."""
    d = DatasetOptions()
    parser.add_argument("--max-items", type=int, default=d.max_items)
    parser.add_argument("--min-item-users", type=int, default=d.min_item_users)
    parser.add_argument("--min-user-entries", type=int, default=d.min_user_entries)
    parser.add_argument("--max-list-size", type=int, default=d.max_list_size)
    parser.add_argument("--split-seed", type=int, default=d.seed)


def options_from_args(args: argparse.Namespace) -> DatasetOptions:
    return DatasetOptions(
        max_items=args.max_items,
        min_item_users=args.min_item_users,
        min_user_entries=args.min_user_entries,
        max_list_size=args.max_list_size,
        seed=args.split_seed,
    )


def _build_command(args: argparse.Namespace) -> int:
    start = time.perf_counter()
    dataset = load_data_dir(args.data, options_from_args(args))
    dataset.save(args.out)
    print(json.dumps(dataset.summary(), indent=2))
    print(f"wrote {args.out} in {time.perf_counter() - start:.1f}s")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "build-dataset", help="build a compact .npz dataset from a data directory"
    )
    parser.add_argument("--data", required=True, help="directory with rating.csv and anime.csv")
    parser.add_argument("--out", required=True, help="output .npz file")
    add_options(parser)
    parser.set_defaults(handler=_build_command)
