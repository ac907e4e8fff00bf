"""Franchise relatedness of corpus titles, from the catalog's relations (not from titles).

Two measures need to know which titles belong with a user's list:

* **franchise share** of a top-20: the share of recommended titles *directly related* to a
  fold-in title as MAL relates them (sequel, prequel, side story, …: links with
  ``mal_asserted``), :func:`catalog_relation`;
* **discovery**: which titles count as unrelated to the list, exactly as serving's
  ``franchise="new"`` decides (``model.coldstart.franchise.allowed``: outside every franchise
  group the list touches, groups connected over strong links, and not linked to a list title at
  all), :func:`unrelated_mask`. Corpus titles the catalog lacks have no known relations: they
  count as unrelated.
"""

from __future__ import annotations

import numpy as np

from model.catalog import Catalog
from model.coldstart.franchise import allowed
from model.coldstart.index import TitleIndex


def catalog_relation(catalog: Catalog, corpus_ids: np.ndarray) -> np.ndarray:
    """(N, N) bool, symmetric: corpus titles i, j with a MAL-asserted link either way."""
    corpus_ids = np.asarray(corpus_ids, np.int64)
    n = corpus_ids.size
    position = {int(a): i for i, a in enumerate(corpus_ids)}
    indptr, other, _, mal = catalog.relation_arrays()
    related = np.zeros((n, n), bool)
    for i, row in enumerate(catalog.rows(corpus_ids)):
        if row < 0:
            continue
        for link in range(int(indptr[row]), int(indptr[row + 1])):
            j = position.get(int(other[link])) if mal[link] else None
            if j is not None:
                related[i, j] = related[j, i] = True
    np.fill_diagonal(related, False)
    return related


def unrelated_mask(index: TitleIndex, corpus_ids: np.ndarray, presence: np.ndarray) -> np.ndarray:
    """(B, N) bool: corpus titles serving's ``franchise="new"`` keeps for each fold-in row of
    ``presence`` (B, N) (the sequel-order rule aside: it is about order, not relatedness)."""
    catalog_rows = np.asarray(
        [-1 if (r := index.row(int(a))) is None else r for a in corpus_ids], np.int64
    )
    known = catalog_rows >= 0
    out = np.ones(presence.shape, bool)
    for k, listed in enumerate(presence > 0):
        new = allowed(index, catalog_rows[listed & known], "new", sequels=True)
        out[k, known] = new[catalog_rows[known]]
    return out
