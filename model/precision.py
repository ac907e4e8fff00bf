"""Reduced-precision weights and the accuracy check that gates them.

Serving may use float16, bfloat16 or int8 weights only if, on real profiles, the top 10 is
identical (same titles, same order) for at least 99% of them and every predicted score of those
titles stays within 0.05 of the float32 model's. :func:`rounded_weights` reproduces exactly the
numbers a reduced-precision kernel that accumulates in float32 would see (round to the format,
back to float32), so the check does not depend on which kernel runs them.

int8 uses symmetric per-row scales along the dimension a kernel streams: per input row for the
encoder's first layer (the sparse encoder gathers rows), per output unit elsewhere.

``python -m model accuracy --model DIR [--profiles IN.jsonl] --dtype bfloat16`` runs the check;
its exit status is 0 when the format passes.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from model.artifact import ArtifactError, load_artifact
from model.cli import parse_line
from model.forward import Float32Forward
from model.profile import ListFormatError, ProfileEntry
from model.recommender import RecommendationQuery, Recommender

FORMATS = ("float16", "bfloat16", "int8")
TOP_K = 10
MIN_IDENTICAL = 0.99
MAX_SCORE_DIFF = 0.05


def round_bfloat16(w: np.ndarray) -> np.ndarray:
    """Round float32 to bfloat16 (nearest, ties to even) and back to float32."""
    bits = np.ascontiguousarray(w, dtype=np.float32).view(np.uint32).astype(np.uint64)
    bits += 0x7FFF + ((bits >> 16) & 1)
    return ((bits & 0xFFFF0000).astype(np.uint32)).view(np.float32)


def round_int8(w: np.ndarray, axis: int) -> np.ndarray:
    """Symmetric int8 with one scale per slice along ``axis`` (max |w| ↦ 127), back to float32."""
    w = np.asarray(w, dtype=np.float32)
    scale = np.abs(w).max(axis=axis, keepdims=True) / 127.0
    scale[scale == 0] = 1.0
    out: np.ndarray = (np.clip(np.rint(w / scale), -127, 127) * scale).astype(np.float32)
    return out


def rounded_weights(weights: dict[str, np.ndarray], fmt: str) -> dict[str, np.ndarray]:
    """Every kernel (and the graft matrix) rounded to ``fmt``; biases and scales stay float32."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; expected one of {FORMATS}")
    out = {}
    for name, w in weights.items():
        if not (name.endswith(".kernel") or name == "item_item.weight"):
            out[name] = np.asarray(w)
        elif fmt == "float16":
            out[name] = np.asarray(w).astype(np.float16).astype(np.float32)
        elif fmt == "bfloat16":
            out[name] = round_bfloat16(np.asarray(w))
        else:
            out[name] = round_int8(w, axis=1 if name == "encoder.0.kernel" else 0)
    return out


def accuracy(
    reference: Recommender, reduced: Recommender, profiles: Sequence[Sequence[ProfileEntry]]
) -> dict[str, Any]:
    """Top-10 agreement and predicted-score differences of ``reduced`` against ``reference``."""
    query = RecommendationQuery(TOP_K, explain=False)
    want, _ = reference.recommend_batch(profiles, query)
    if not isinstance(reduced.ranking, Float32Forward):
        # One profile a call: the fast path serves small batches (larger ones run float32).
        got = [reduced.recommend_batch([p], query)[0][0] for p in profiles]
    else:
        got, _ = reduced.recommend_batch(profiles, query)
    identical = same_set = 0
    worst = presence = 0.0
    for entries, a, b in zip(profiles, want, got, strict=True):
        identical += [r.anime_id for r in a] == [r.anime_id for r in b]
        same_set += {r.anime_id for r in a} == {r.anime_id for r in b}
        ids = [r.anime_id for r in a]
        # The scores ``reduced`` itself returned (they differ from ``targets`` with ``fast``).
        theirs_returned = {r.anime_id: r for r in b}
        for r in a:
            other = theirs_returned.get(r.anime_id)
            if other is not None:
                worst = max(worst, abs(r.predicted_score - other.predicted_score))
                presence = max(presence, abs(other.presence / r.presence - 1))
        if ids:
            theirs = reduced.targets(entries, ids)
            diffs = [
                abs(r.predicted_score - t["predicted_score"])
                for r, t in zip(a, theirs, strict=True)
                if t is not None
            ]
            worst = max(worst, *diffs)
    share = identical / len(profiles) if profiles else 1.0
    return {
        "profiles": len(profiles),
        "top10_identical": share,
        "top10_same_set": same_set / len(profiles) if profiles else 1.0,
        "max_predicted_score_diff": worst,
        "max_presence_rel_diff": presence,
        "passed": share >= MIN_IDENTICAL and worst <= MAX_SCORE_DIFF,
    }


def read_profiles(path: Path, limit: int) -> list[list[ProfileEntry]]:
    profiles = []
    with path.open(encoding="utf-8") as f:
        for number, text in enumerate(f, start=1):
            if not text.strip():
                continue
            try:
                profiles.append(parse_line(text)[1])
            except ValueError as exc:
                raise ListFormatError(str(path), str(exc), number) from None
            if len(profiles) >= limit:
                break
    return profiles


def _accuracy(args: argparse.Namespace) -> int:
    from model.synthetic import synthetic_profiles

    try:
        artifact = load_artifact(args.model)
        if args.profiles:
            profiles = read_profiles(Path(args.profiles), args.limit)
            source = str(args.profiles)
        else:
            sizes = (20, 50, 150, 400)
            profiles = [
                p
                for i, size in enumerate(sizes)
                for p in synthetic_profiles(artifact.corpus_ids, size, args.limit // 4, seed=i)
            ]
            source = "synthetic"
    except (ArtifactError, ListFormatError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    reference = Recommender(artifact)
    results = {}
    formats = [f"fast={args.fast}"] if args.fast else args.dtype
    for fmt in formats:
        if args.fast:
            reduced = Recommender(artifact, fast=args.fast)
        else:
            low = dataclasses.replace(artifact, weights=rounded_weights(artifact.weights, fmt))
            reduced = Recommender(low)
        results[fmt] = accuracy(reference, reduced, profiles)
        r = results[fmt]
        print(
            f"{fmt}: top-10 identical for {r['top10_identical']:.1%} of {r['profiles']} "
            f"{source} profiles (same titles in any order: {r['top10_same_set']:.1%}), "
            f"predicted scores within {r['max_predicted_score_diff']:.4f}, "
            f"presence within {r['max_presence_rel_diff']:.2e} (relative) "
            f"→ {'PASS' if r['passed'] else 'FAIL'}"
        )
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1) + "\n")
    return 0 if all(r["passed"] for r in results.values()) else 1


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "accuracy",
        help="may reduced-precision weights serve? (top-10 and predicted-score check)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--model", required=True, help="artifact directory")
    parser.add_argument("--profiles", help="JSON-lines profiles (default: synthetic)")
    parser.add_argument("--limit", type=int, default=1000, help="profiles to check")
    parser.add_argument(
        "--dtype", nargs="+", choices=FORMATS, default=list(FORMATS), help="formats to check"
    )
    parser.add_argument(
        "--fast",
        choices=("int8",),
        help="check the opt-in fast ranking (Recommender fast=...) instead of --dtype formats",
    )
    parser.add_argument("--json", help="also write the results as JSON here")
    parser.set_defaults(handler=_accuracy)
