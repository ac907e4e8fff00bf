"""``python -m model catalog --model DIR``: every MAL id the model can return, one per line.

With a catalog (``--catalog``, default the shipped one) the recommender ranks every catalog
title (the network's corpus and, for the rest, the side channel), so the ids are the catalog's
that the mixed ranking reads; without one (``--no-catalog``) they are the network's corpus.
``--safe-only`` prints only the ids ``python -m model recommend`` may return without
``--allow-nsfw`` (titles known to be safe for work). Ids are printed in ascending order.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

from model.artifact import ArtifactError
from model.catalog import Catalog, CatalogError
from model.recommender import Recommender


def servable_ids(rec: Recommender, catalog: Catalog | None, *, safe_only: bool) -> np.ndarray:
    """Ascending int64 ids ``rec`` can return (only known-safe ones with ``safe_only``)."""
    if rec.mixing is None:
        ids = np.unique(np.asarray(rec.corpus_ids, dtype=np.int64))
    else:
        ids = np.unique(np.asarray(rec.mixing.index.ids, dtype=np.int64))
    if safe_only:
        if catalog is None:
            return np.empty(0, dtype=np.int64)  # without a catalog nothing is known safe
        rows = catalog.rows(ids)
        safe = np.zeros(len(ids), dtype=bool)
        safe[rows >= 0] = catalog.nsfw_allowed_mask(False)[rows[rows >= 0]]
        ids = ids[safe]
    return ids


def _catalog(args: argparse.Namespace) -> int:
    try:
        catalog = None if args.no_catalog else Catalog.load(args.catalog)
        rec = Recommender.load(args.model, verify=not args.no_verify, catalog=catalog)
    except (ArtifactError, CatalogError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        ids = servable_ids(rec, catalog, safe_only=args.safe_only)
    finally:
        rec.close()
    sys.stdout.write("".join(f"{int(a)}\n" for a in ids))
    sys.stdout.flush()
    return 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "catalog",
        help="every MAL id the model can return, one per line",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--model", required=True, help="artifact directory")
    parser.add_argument("--catalog", help="catalog file (default: the shipped catalog)")
    parser.add_argument(
        "--no-catalog", action="store_true", help="the network's corpus alone (no side channel)"
    )
    parser.add_argument(
        "--safe-only", action="store_true", help="only ids returned where NSFW is not allowed"
    )
    parser.add_argument("--no-verify", action="store_true", help="skip the sha256 check")
    parser.set_defaults(handler=_catalog)
