"""The catalog as arrays the side channel scores with: content rows, relations, dates, priors.

Built once per catalog (about a second for the ~30k-title shipped catalog), then read-only:
any number of requests may share it.

* content: each title's genres, tags and studios as L2-normalized binary rows of a CSR matrix
  (own arrays, no SciPy: ``indptr``/``indices``/``data``); tags seen on fewer than
  ``min_tag_titles`` titles are dropped (noise, and they cannot generalize);
* relations: a CSR adjacency over catalog rows with, per link, whether it is *strong* (a typed
  sequel/prequel, or asserted by MAL's own related list) and whether the other title is *later*;
* franchise: connected groups over the strong links (union–find);
* priors: log popularity (``scored_by``) and mean score, standardized, with "missing" flags;
* upcoming: whether the catalog says the title has not aired yet.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from model.coldstart.source import CatalogSource, TitleLike

SEASONS = {"WINTER": 0, "SPRING": 1, "SUMMER": 2, "FALL": 3}
BLOCKS = ("genre", "tag", "studio")


def media_type(raw: str | None) -> str:
    """MAL API's lowercase media type ("TV" → "tv", "TV_SPECIAL" → "tv_special")."""
    return (raw or "unknown").strip().lower().replace(" ", "_") or "unknown"


@dataclass(frozen=True)
class Csr:
    """A sparse matrix as CSR arrays (rows × ``n_cols``)."""

    indptr: np.ndarray  # (rows + 1,) int64
    indices: np.ndarray  # (nnz,) int64
    data: np.ndarray  # (nnz,) float32
    n_cols: int

    @property
    def n_rows(self) -> int:
        return len(self.indptr) - 1

    def dot(self, vector: np.ndarray) -> np.ndarray:
        """(rows,) = self @ vector, vectorized (float32 products: the gather is the cost)."""
        products = self.data * vector.astype(np.float32)[self.indices]
        out = np.zeros(self.n_rows, dtype=np.float64)
        starts = self.indptr[:-1]
        nonempty = self.indptr[1:] > starts
        if products.size:
            out[nonempty] = np.add.reduceat(products, starts[nonempty], dtype=np.float64)
        return out

    def dot_at(self, vector: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """(len(rows),) = (self @ vector)[rows], the same sums as :meth:`dot` gives there."""
        rows = np.asarray(rows, dtype=np.int64)
        positions = spans(self.indptr, rows)
        products = self.data[positions] * vector.astype(np.float32)[self.indices[positions]]
        lengths = self.indptr[rows + 1] - self.indptr[rows]
        out = np.zeros(len(rows), dtype=np.float64)
        nonempty = lengths > 0
        if products.size:
            starts = np.cumsum(lengths) - lengths
            out[nonempty] = np.add.reduceat(products, starts[nonempty], dtype=np.float64)
        return out

    def rows_sum(self, rows: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """(n_cols,) = Σ_i weights[i] · row rows[i], vectorized."""
        positions = spans(self.indptr, rows)
        lengths = self.indptr[rows + 1] - self.indptr[rows]
        w = np.repeat(np.asarray(weights, dtype=np.float64), lengths)
        out = np.bincount(self.indices[positions], w * self.data[positions], self.n_cols)
        return np.asarray(out, dtype=np.float64)

    def rows_overlap(self, rows: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """(len(rows),): per row of ``rows``, the sum of ``weights`` over its columns."""
        positions = spans(self.indptr, rows)
        lengths = self.indptr[rows + 1] - self.indptr[rows]
        owner = np.repeat(np.arange(len(rows)), lengths)
        out = np.bincount(owner, weights[self.indices[positions]], minlength=len(rows))
        return np.asarray(out, dtype=np.float64)

    def row(self, r: int) -> np.ndarray:
        """The column indices of row ``r``."""
        return np.asarray(self.indices[self.indptr[r] : self.indptr[r + 1]])


def spans(indptr: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Positions ``indptr[r]:indptr[r+1]`` of every row in ``rows``, concatenated."""
    rows = np.asarray(rows, dtype=np.int64)
    if len(rows) == 0:
        return np.empty(0, dtype=np.int64)
    starts, stops = indptr[rows], indptr[rows + 1]
    lengths = stops - starts
    offsets = np.repeat(starts - np.concatenate([[0], np.cumsum(lengths)[:-1]]), lengths)
    out: np.ndarray = np.arange(int(lengths.sum()), dtype=np.int64) + offsets
    return out


def _csr(rows: Sequence[Sequence[int]], n_cols: int, normalize: bool) -> Csr:
    lengths = np.asarray([len(r) for r in rows], dtype=np.int64)
    indptr = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    indices = np.asarray([c for r in rows for c in r], dtype=np.int64)
    data = np.ones(len(indices), dtype=np.float32)
    if normalize and len(indices):
        norms = np.repeat(1.0 / np.sqrt(np.maximum(lengths, 1)), lengths)
        data = norms.astype(np.float32)
    return Csr(indptr, indices, data, n_cols)


def _hstack(blocks: Sequence[Csr]) -> Csr:
    """The blocks side by side (same rows): one sparse product scores every block at once."""
    rows, cols, data = [], [], []
    offset = 0
    for csr in blocks:
        lengths = np.diff(csr.indptr)
        rows.append(np.repeat(np.arange(csr.n_rows, dtype=np.int64), lengths))
        cols.append(csr.indices + offset)
        data.append(csr.data)
        offset += csr.n_cols
    r, c, d = np.concatenate(rows), np.concatenate(cols), np.concatenate(data)
    order = np.argsort(r, kind="stable")
    counts = np.bincount(r, minlength=blocks[0].n_rows)
    indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    return Csr(indptr, c[order], d[order], offset)


def _vocab(values: Iterable[Sequence[str]], min_count: int) -> dict[str, int]:
    counts: dict[str, int] = {}
    for names in values:
        for name in set(names):
            counts[name] = counts.get(name, 0) + 1
    kept = sorted(n for n, c in counts.items() if c >= min_count and n)
    return {n: i for i, n in enumerate(kept)}


def _standardize(values: np.ndarray, known: np.ndarray) -> np.ndarray:
    out = np.zeros(len(values), dtype=np.float64)
    if known.any():
        v = values[known]
        out[known] = (v - v.mean()) / (v.std() + 1e-9)
    return out


class TitleIndex:
    """Read-only arrays over the catalog's titles (rows in ``catalog.ids`` order)."""

    def __init__(self, catalog: CatalogSource, *, min_tag_titles: int = 5) -> None:
        self.catalog = catalog
        self.ids = np.asarray(catalog.ids, dtype=np.int64)
        self.n = len(self.ids)
        self._row = {int(a): i for i, a in enumerate(self.ids)}
        titles: list[TitleLike | None] = [catalog.get(int(a)) for a in self.ids]
        self.titles = titles
        self.names = [
            t.title if t is not None else str(int(a)) for t, a in zip(titles, self.ids, strict=True)
        ]
        self.media = np.asarray([media_type(t.type if t else None) for t in titles])
        self.media_names, self.media_code = np.unique(self.media, return_inverse=True)
        year = np.asarray([t.year if t and t.year else 0 for t in titles], dtype=np.float64)
        season = np.asarray(
            [SEASONS.get((t.season or "").upper(), 0) if t else 0 for t in titles], np.float64
        )
        self.year = year
        self.has_year = year > 0
        # Unknown dates sort last; an untyped link with an undated end is neither before nor
        # after (see has_prequel).
        self.start = np.where(self.has_year, year * 4 + season, np.inf)

        genre_v = _vocab((t.genres if t else () for t in titles), 1)
        tag_v = _vocab((t.tags if t else () for t in titles), min_tag_titles)
        studio_v = _vocab((t.studios if t else () for t in titles), 1)
        self.vocab = {"genre": genre_v, "tag": tag_v, "studio": studio_v}
        self.vocab_names = {b: sorted(v, key=v.__getitem__) for b, v in self.vocab.items()}

        def rows(block: str, values: list[Sequence[str]]) -> Csr:
            v = self.vocab[block]
            return _csr([sorted({v[x] for x in names if x in v}) for names in values], len(v), True)

        self.content = {
            "genre": rows("genre", [list(t.genres) if t else [] for t in titles]),
            "tag": rows("tag", [list(t.tags) if t else [] for t in titles]),
            "studio": rows("studio", [list(t.studios) if t else [] for t in titles]),
        }

        self.content_all = _hstack([self.content[b] for b in BLOCKS])

        scored_by = np.asarray([t.scored_by or 0 if t else 0 for t in titles], np.float64)
        self.scored_by = scored_by
        self.has_popularity = scored_by > 0
        self.popularity = _standardize(np.log1p(scored_by), self.has_popularity)
        # MAL's mean where known, else the mean over sites (anime-offline-database's score).
        mean = np.asarray(
            [(t.mean or getattr(t, "aod_score", None) or 0.0) if t else 0.0 for t in titles],
            np.float64,
        )
        self.has_mean = mean > 0
        self.mean_raw = mean
        self.mean = _standardize(mean, self.has_mean)
        # Not aired yet (the catalog's status "upcoming"): shown only as the next of a listed
        # title (model.recommender.mixing).
        self.upcoming = np.asarray(
            [getattr(t, "status", None) == "upcoming" if t else False for t in titles], bool
        )
        nsfw = [t.nsfw if t else None for t in titles]
        self.nsfw_known_safe = np.asarray([x is False for x in nsfw])

        self._build_relations(catalog)

    # -- relations ---------------------------------------------------------------------------

    def _build_relations(self, catalog: CatalogSource) -> None:
        neighbors: list[list[int]] = []
        strong: list[list[bool]] = []
        later: list[list[bool]] = []
        typed_prequel: list[list[bool]] = []
        for r, anime_id in enumerate(self.ids):
            n_row, s_row, l_row, p_row = [], [], [], []
            for rel in catalog.relations(int(anime_id)):
                other = self._row.get(int(rel.other_id))
                if other is None or other == r:
                    continue
                n_row.append(other)
                s_row.append(rel.kind != "related" or bool(rel.mal_asserted))
                if rel.kind == "sequel":
                    is_later = True
                elif rel.kind == "prequel":
                    is_later = False
                else:
                    is_later = bool(self.has_year[r] and self.start[other] > self.start[r])
                l_row.append(is_later)
                p_row.append(rel.kind == "prequel")
            neighbors.append(n_row)
            strong.append(s_row)
            later.append(l_row)
            typed_prequel.append(p_row)
        lengths = np.asarray([len(x) for x in neighbors], dtype=np.int64)
        self.rel_indptr = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        self.rel_other = np.asarray([c for x in neighbors for c in x], dtype=np.int64)
        self.rel_strong = np.asarray([c for x in strong for c in x], dtype=bool)
        self.rel_later = np.asarray([c for x in later for c in x], dtype=bool)
        self.rel_prequel = np.asarray([c for x in typed_prequel for c in x], dtype=bool)
        self.rel_source = np.repeat(np.arange(self.n, dtype=np.int64), lengths)
        self.franchise = self._components()
        # A title "comes after" something when a strong link points to an earlier title that
        # at least as many members scored: untyped links also join remakes and restarts
        # (Fullmetal Alchemist: Brotherhood after the 2003 series), which draw more members
        # than what they follow; sequels draw fewer than their first season.
        dated = self.has_year[self.rel_source] & self.has_year[self.rel_other]
        earlier = self.rel_strong & ~self.rel_later
        earlier &= self.rel_prequel | dated & (
            self.scored_by[self.rel_other] >= self.scored_by[self.rel_source]
        )
        self.has_prequel = np.zeros(self.n, dtype=bool)
        self.has_prequel[self.rel_source[earlier]] = True

    def _components(self) -> np.ndarray:
        parent = np.arange(self.n, dtype=np.int64)

        def find(x: int) -> int:
            while parent[x] != x:
                parent[x] = parent[parent[x]]
                x = int(parent[x])
            return x

        for a, b in zip(
            self.rel_source[self.rel_strong], self.rel_other[self.rel_strong], strict=True
        ):
            ra, rb = find(int(a)), find(int(b))
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
        return np.asarray([find(i) for i in range(self.n)], dtype=np.int64)

    # -- lookups -----------------------------------------------------------------------------

    def row(self, anime_id: int) -> int | None:
        """The catalog row of a MAL id, None when the catalog does not have it."""
        return self._row.get(int(anime_id))

    def rows_of(self, anime_ids: Iterable[int]) -> np.ndarray:
        """Catalog rows of the ids the catalog has (others skipped), in order."""
        rows = [self._row.get(int(a)) for a in anime_ids]
        return np.asarray([r for r in rows if r is not None], dtype=np.int64)

    def links_of(self, rows: np.ndarray) -> np.ndarray:
        """Positions (into the ``rel_*`` arrays) of every link out of ``rows``."""
        return spans(self.rel_indptr, rows)
