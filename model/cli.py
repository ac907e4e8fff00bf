"""``python -m model recommend``: batch recommendations for JSON-lines profiles.

Input, one profile per line::

    {"user": ..., "entries": [{"anime_id": 1, "score": 8, "status": "completed"}, ...],
     "targets": [anime_id, ...]}                       # "targets" optional

Output, one line per input line, in input order::

    {"user": ..., "recommendations": [{"anime_id", "score", "presence", "predicted_score"}, ...],
     "targets": [{"anime_id", "presence", "predicted_score"} | null, ...]}

Every catalog title can be returned (``--catalog``, default the shipped catalog; titles outside
the network's corpus are scored by the side channel). NSFW titles, and titles whose NSFW status
is unknown, are left out unless ``--allow-nsfw`` is given. Each recommendation also has
``source`` ("model" or "catalog"), ``reasons`` (why, in words) and ``more`` (other titles of its
franchise it stands for); each line has ``known`` ([entries the network knows, entries read];
below 5 the model barely knows the list). ``--franchise new|continue|any``: titles unrelated to
the list, the next entries of its franchises, or both (default), one line per franchise; a
sequel only once its prequel is on the list.

Lines are read and written as a stream, in batches of ``--batch-size`` profiles. A malformed line
stops the run with an error naming the file and line (every line before it is already written).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from model.artifact import ArtifactError
from model.catalog import Catalog, CatalogError
from model.coldstart.calibration import CalibrationError
from model.profile import ListFormatError, ProfileEntry
from model.recommender import DEFAULT_WORKERS, RecommendationQuery, Recommender
from model.recommender.query import FRANCHISE_MODES


def _int(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{what} must be an integer, got {value!r}")
    return value


def parse_line(text: str) -> tuple[Any, list[ProfileEntry], list[int] | None]:
    """(user, entries, targets) from one input line; ValueError says what is wrong."""
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"invalid JSON ({exc.msg} at column {exc.colno})") from None
    if not isinstance(obj, dict):
        raise ValueError("expected a JSON object")
    raw = obj.get("entries")
    if not isinstance(raw, list):
        raise ValueError('"entries" must be a list')
    entries = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            raise ValueError(f"entries[{i}] must be an object")
        try:
            entries.append(
                ProfileEntry(
                    _int(item.get("anime_id"), "anime_id"),
                    _int(item.get("score", 0), "score"),
                    item.get("status"),
                )
            )
        except ValueError as exc:
            raise ValueError(f"entries[{i}]: {exc}") from None
    targets = obj.get("targets")
    if targets is not None:
        if not isinstance(targets, list):
            raise ValueError('"targets" must be a list of anime ids')
        targets = [_int(t, f"targets[{i}]") for i, t in enumerate(targets)]
    return obj.get("user"), entries, targets


def _rounded(value: float) -> float:
    return float(f"{value:.6g}")


def run_batches(
    rec: Recommender,
    lines: Iterator[str],
    out: IO[str],
    *,
    source: str,
    query: RecommendationQuery,
    batch_size: int,
) -> int:
    """Stream ``lines`` through the recommender to ``out``; returns the number of profiles.

    Each profile gets ``query``'s unexplained recommendations (``query.explain`` is ignored).
    """
    done = 0
    batch: list[tuple[Any, list[ProfileEntry], list[int] | None]] = []

    def flush() -> None:
        nonlocal done
        if not batch:
            return
        recs, targets = rec.recommend_batch(
            [entries for _, entries, _ in batch], query, targets=[t for _, _, t in batch]
        )
        for (user, entries, wanted), found, hits in zip(batch, recs, targets, strict=True):
            row: dict[str, Any] = {
                "user": user,
                "recommendations": [
                    {
                        "anime_id": r.anime_id,
                        "score": _rounded(r.score),
                        "presence": _rounded(r.presence),
                        "predicted_score": round(r.predicted_score, 3),
                    }
                    for r in found
                ],
            }
            if rec.mixing is not None:
                for item, r in zip(row["recommendations"], found, strict=True):
                    item.update(source=r.source, reasons=list(r.reasons), more=r.more)
                row["known"] = list(rec.known_entries(entries))
            if wanted is not None:
                row["targets"] = [
                    None
                    if t is None
                    else {
                        "anime_id": t["anime_id"],
                        "presence": _rounded(t["presence"]),
                        "predicted_score": round(t["predicted_score"], 3),
                    }
                    for t in hits or []
                ]
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
        out.flush()
        done += len(batch)
        batch.clear()

    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        try:
            batch.append(parse_line(text))
        except ValueError as exc:
            flush()
            raise ListFormatError(source, str(exc), number) from None
        if len(batch) >= batch_size:
            flush()
    flush()
    return done


def _recommend(args: argparse.Namespace) -> int:
    try:
        catalog = Catalog.load(args.catalog)
        rec = Recommender.load(
            args.model,
            verify=not args.no_verify,
            blas_threads=args.threads,
            workers=args.workers,
            catalog=catalog,
        )
    except (ArtifactError, CatalogError, CalibrationError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    media = [m.strip().lower() for m in args.media.split(",")] if args.media else None
    query = RecommendationQuery(
        args.k,
        media=media,
        include_planned=args.include_planned,
        explain=False,
        allow_nsfw=args.allow_nsfw,
        franchise=args.franchise,
    )
    source = "<stdin>" if args.profiles == "-" else str(args.profiles)
    try:
        stream = sys.stdin if args.profiles == "-" else Path(args.profiles).open(encoding="utf-8")  # noqa: SIM115
    except OSError as exc:
        print(f"error: {source}: {exc.strerror}", file=sys.stderr)
        return 2
    out = sys.stdout if args.out is None else Path(args.out).open("w", encoding="utf-8")  # noqa: SIM115
    try:
        count = run_batches(
            rec,
            iter(stream),
            out,
            source=source,
            query=query,
            batch_size=args.batch_size,
        )
    except ListFormatError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        if stream is not sys.stdin:
            stream.close()
        if out is not sys.stdout:
            out.close()
        rec.close()
    print(f"{count} profiles", file=sys.stderr)
    return 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "recommend",
        help="batch recommendations for a JSON-lines file of profiles",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--model", required=True, help="artifact directory")
    parser.add_argument("--profiles", required=True, help="JSON-lines input ('-' for stdin)")
    parser.add_argument("--k", type=int, default=10, help="recommendations per profile")
    parser.add_argument("--out", help="write here instead of stdout")
    parser.add_argument("--media", help="comma-separated media types to keep (tv,movie,...)")
    parser.add_argument(
        "--include-planned", action="store_true", help="allow plan-to-watch titles in results"
    )
    parser.add_argument(
        "--allow-nsfw",
        action="store_true",
        help="allow NSFW titles and titles of unknown NSFW status in results",
    )
    parser.add_argument("--catalog", help="catalog file (default: the shipped catalog)")
    parser.add_argument(
        "--franchise",
        choices=FRANCHISE_MODES,
        default="any",
        help="new: titles unrelated to the list; continue: next entries of its franchises; "
        "any (default): both, one line per franchise",
    )
    parser.add_argument("--batch-size", type=int, default=64, help="profiles per batched pass")
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads per worker")
    parser.add_argument("--workers", type=int, default=DEFAULT_WORKERS, help="threads per batch")
    parser.add_argument("--no-verify", action="store_true", help="skip the sha256 check")
    parser.set_defaults(handler=_recommend)
