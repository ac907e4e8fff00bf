"""``python -m training build-catalog``: the shipped catalog file from catalog-2026.

Reads ``anime.csv``, ``relations.csv`` and ``franchise.csv`` of a catalog-2026 folder (layout in
``../shared/data/README.md``) and writes the compact file :class:`model.catalog.Catalog` loads
(``model/data/catalog.npz`` is the one shipped). What is kept:

- per title: title, type, year, season, episodes, status, genres, studios, tags carried by at
  least ``--min-tag-titles`` titles (rarer ones cannot make two titles alike often enough to pay
  for their bytes), nsfw (1 / 0 / empty = unknown), MAL mean, scored-by count and popularity
  rank, and anime-offline-database's mean over sites (``aod_score``);
- relations, one per ordered pair: ``sequel``/``prequel`` where erengy/anime-relations types the
  pair, else ``related``; ``mal_asserted`` when anime-offline-database's providers of the pair
  include ``myanimelist`` (MAL's own related list);
- the franchise group of each title in ``franchise.csv``;
- with ``--kaggle-anime`` (anime-5k's ``anime.csv``, CC0): the titles catalog-2026 lacks (235 of
  its 12,294, among them Naruto, One Piece, Gintama): title, type, episodes, genres, the 2017 MAL
  mean; their NSFW status stays unknown (hidden where NSFW is not allowed until MAL's details
  say otherwise) except a Hentai genre, which marks them NSFW.

Sources and licences of the data: README, "Catalog".
"""

from __future__ import annotations

import argparse
import csv
import html
import sys
import time
from collections import Counter
from pathlib import Path

from model.catalog import (
    Catalog,
    CatalogTitle,
    Relation,
    RelationKind,
    normalize_season,
    normalize_status,
    normalize_terms,
    normalize_type,
)

DEFAULT_MIN_TAG_TITLES = 5


def _split(field: str) -> tuple[str, ...]:
    return normalize_terms([part for part in field.split("|") if part])


def _int(text: str) -> int | None:
    text = text.strip()
    return int(float(text)) if text else None


def _float(text: str) -> float | None:
    text = text.strip()
    return float(text) if text else None


def _nsfw(text: str) -> bool | None:
    return {"1": True, "0": False}.get(text.strip())


def read_titles(path: Path, min_tag_titles: int) -> list[CatalogTitle]:
    """``anime.csv`` rows as records; tags on fewer than ``min_tag_titles`` titles dropped."""
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    tag_titles = Counter(tag for row in rows for tag in _split(row["tags"]))
    kept_tags = {tag for tag, count in tag_titles.items() if count >= min_tag_titles}
    titles = []
    for row in rows:
        titles.append(
            CatalogTitle(
                anime_id=int(row["anime_id"]),
                title=row["title"].strip() or f"Anime #{row['anime_id']}",
                type=normalize_type(row["type"]),
                year=_int(row["year"]),
                season=normalize_season(row["season"]),
                episodes=_int(row["episodes"]),
                genres=_split(row["genres"]),
                tags=tuple(t for t in _split(row["tags"]) if t in kept_tags),
                studios=_split(row["studios"]),
                nsfw=_nsfw(row["nsfw"]),
                mean=_float(row["mean"]),
                scored_by=_int(row["mal_scored_by"]),
                popularity_rank=_int(row["mal_popularity_rank"]),
                aod_score=_float(row["aod_score"]),
                status=normalize_status(row["status"]),
            )
        )
    return titles


def read_relations(path: Path) -> dict[int, list[Relation]]:
    """``relations.csv`` as per-title links (both directions are in the file)."""
    kinds: dict[tuple[int, int], RelationKind] = {}
    mal: dict[tuple[int, int], bool] = {}
    with path.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            pair = (int(row["anime_id"]), int(row["related_id"]))
            if pair[0] == pair[1]:
                continue
            relation = row["relation"].strip()
            if relation in ("sequel", "prequel"):
                kinds[pair] = "sequel" if relation == "sequel" else "prequel"
            else:
                kinds.setdefault(pair, "related")
            if "myanimelist" in row["providers"].split("|"):
                mal[pair] = True
    out: dict[int, list[Relation]] = {}
    for (src, dst), kind in sorted(kinds.items()):
        out.setdefault(src, []).append(Relation(dst, kind, mal.get((src, dst), False)))
    return out


def read_franchises(path: Path) -> dict[int, int]:
    with path.open(encoding="utf-8", newline="") as f:
        return {int(row["anime_id"]): int(row["franchise_id"]) for row in csv.DictReader(f)}


def read_kaggle_titles(path: Path, known: set[int]) -> list[CatalogTitle]:
    """Titles of a Kaggle ``anime.csv`` (``anime_id,name,genre,type,episodes,rating,members``)
    whose ids are not in ``known``."""
    titles = []
    with path.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            anime_id = int(row["anime_id"])
            if anime_id in known:
                continue
            genres = normalize_terms([g for g in row["genre"].split(",") if g.strip()])
            titles.append(
                CatalogTitle(
                    anime_id=anime_id,
                    title=html.unescape(row["name"]).strip() or f"Anime #{anime_id}",
                    type=normalize_type(row["type"]),
                    episodes=_int(row["episodes"]) if row["episodes"].isdigit() else None,
                    genres=genres,
                    nsfw=True if "hentai" in genres else None,
                    mean=_float(row["rating"]),
                )
            )
    return titles


def build_catalog(
    source: Path,
    min_tag_titles: int = DEFAULT_MIN_TAG_TITLES,
    kaggle_anime: Path | None = None,
) -> Catalog:
    """The catalog of a catalog-2026 folder (plus the titles it lacks from ``kaggle_anime``)."""
    titles = read_titles(source / "anime.csv", min_tag_titles)
    if kaggle_anime is not None:
        titles += read_kaggle_titles(kaggle_anime, {t.anime_id for t in titles})
    return Catalog.from_titles(
        titles,
        read_relations(source / "relations.csv"),
        read_franchises(source / "franchise.csv"),
    )


def run_build(args: argparse.Namespace) -> int:
    source: Path = args.source
    missing = [
        n for n in ("anime.csv", "relations.csv", "franchise.csv") if not (source / n).is_file()
    ]
    if missing:
        print(
            f"error: {source} lacks {', '.join(missing)} (a catalog-2026 folder)", file=sys.stderr
        )
        return 2
    if args.kaggle_anime is not None and not args.kaggle_anime.is_file():
        print(f"error: {args.kaggle_anime}: no such file", file=sys.stderr)
        return 2
    start = time.perf_counter()
    try:
        catalog = build_catalog(source, args.min_tag_titles, args.kaggle_anime)
    except (KeyError, ValueError) as exc:
        print(f"error: {source}: unexpected catalog data ({exc})", file=sys.stderr)
        return 2
    args.out.parent.mkdir(parents=True, exist_ok=True)
    catalog.save(args.out)
    nsfw = catalog.nsfw_status
    print(
        f"{len(catalog)} titles ({int((nsfw == 1).sum())} NSFW, {int((nsfw == -1).sum())} unknown),"
        f" {len(catalog.relation_arrays()[1])} links, {catalog.genre_matrix.shape[1]} genres,"
        f" {catalog.tag_matrix.shape[1]} tags, {catalog.studio_matrix.shape[1]} studios →"
        f" {args.out} ({args.out.stat().st_size / 1e6:.2f} MB, {time.perf_counter() - start:.1f} s)"
    )
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "build-catalog",
        help="the shipped catalog file from a catalog-2026 folder",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--source", type=Path, required=True, help="catalog-2026 folder")
    parser.add_argument(
        "--out", type=Path, default=Path("model/data/catalog.npz"), help="catalog file to write"
    )
    parser.add_argument(
        "--min-tag-titles",
        type=int,
        default=DEFAULT_MIN_TAG_TITLES,
        help="keep tags carried by at least this many titles",
    )
    parser.add_argument(
        "--kaggle-anime",
        type=Path,
        help="a Kaggle anime.csv (anime-5k's): add the titles the catalog lacks",
    )
    parser.set_defaults(handler=run_build)
