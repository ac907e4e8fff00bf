"""Sequels in their place: which ranked titles may be shown, one slot per franchise.

* A later entry of a franchise (a title with a strong link — a typed prequel, or MAL's related
  list — to an earlier title) is shown only once one of those earlier titles is on the list,
  unless the query asks for sequels anyway.
* ``mode``: "new" keeps titles of franchises the list does not touch (and unrelated to any list
  entry); "continue" keeps only titles of franchises the list is in; "any" keeps both.
* A franchise takes one slot: the next one to watch (its earliest allowed title), scored with
  the best score of the group, and the count of its other candidates.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from model.coldstart.index import TitleIndex

MODES = ("new", "continue", "any")
SHORTLIST = 8
"""Titles ranked per requested line before grouping (more only when they fill too few lines)."""
NEXT_MARGIN = 2.0
"""How far below the group's best (in log score) the next title to watch may rank."""


@dataclass(frozen=True)
class Slot:
    """One line of the page: the catalog row shown, the row whose score ranks it, and how many
    other candidates of its franchise it stands for."""

    row: int
    ranked_by: int
    more: int


def after_listed(index: TitleIndex, listed: np.ndarray) -> np.ndarray:
    """(n,) bool: titles with a strong link to an earlier title on the list."""
    out = np.zeros(index.n, dtype=bool)
    links = index.links_of(listed)
    later = links[index.rel_strong[links] & index.rel_later[links]]
    out[index.rel_other[later]] = True
    return out


def allowed(
    index: TitleIndex, listed: np.ndarray, mode: str, *, sequels: bool = False
) -> np.ndarray:
    """(n,) bool: the titles ``mode`` and the sequel rule let through (the list's own titles
    are the caller's to remove)."""
    if mode not in MODES:
        raise ValueError(f"franchise must be one of {MODES}, got {mode!r}")
    ok = np.ones(index.n, dtype=bool)
    if not sequels:
        ok &= ~index.has_prequel | after_listed(index, listed)
    if mode == "any":
        return ok
    groups = np.zeros(index.n, dtype=bool)
    if len(listed):
        groups = np.isin(index.franchise, np.unique(index.franchise[listed]))
    if mode == "continue":
        return ok & groups
    touched = groups.copy()
    touched[index.rel_other[index.links_of(listed)]] = True
    return ok & ~touched


def best_rows(utility: np.ndarray, rows: np.ndarray, k: int) -> np.ndarray:
    """The ``k`` best of ``rows`` by utility, best first (ties: lower row)."""
    if len(rows) > k:
        rows = rows[np.argpartition(-utility[rows], k - 1)[:k]]
    return rows[np.lexsort((rows, -utility[rows]))]


def slots(
    index: TitleIndex,
    utility: np.ndarray,
    candidates: np.ndarray,
    k: int,
    *,
    grouped: bool = True,
    after: np.ndarray | None = None,
) -> list[Slot]:
    """The ``k`` best franchises among ``candidates`` (bool (n,)) by ``utility``, each shown by
    its next title to watch: one that comes after a title on the list where there is one
    (``after``, :func:`after_listed`), else the group's earliest (ties by utility); ``grouped``
    False: the ``k`` best titles, one line each."""
    rows = np.flatnonzero(candidates)
    if k <= 0 or len(rows) == 0:
        return []
    if not grouped:
        return [Slot(int(r), int(r), 0) for r in best_rows(utility, rows, k)]
    # Enough titles to fill k franchises almost always; all of them when not.
    order = best_rows(utility, rows, SHORTLIST * k)
    if len(np.unique(index.franchise[order])) < k:
        order = best_rows(utility, rows, len(rows))
    sizes = np.bincount(index.franchise[rows], minlength=index.n)
    groups = index.franchise[order]
    _, first = np.unique(groups, return_index=True)
    out = []
    for pos in np.sort(first)[:k]:  # positions in ``order`` of each group's best title
        best = int(order[pos])
        group = groups[pos]
        # The next to watch: the earliest of the shortlisted titles of the group nearly as good
        # as its best (crossovers merge a few big groups, whose far ends should not show).
        near = order[(groups == group) & (utility[order] >= utility[best] - NEXT_MARGIN)]
        if after is not None and after[near].any():
            near = near[after[near]]
        nxt = int(near[np.lexsort((-utility[near], index.start[near]))][0])
        out.append(Slot(nxt, best, int(sizes[group]) - 1))
    return out
