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


def slots(index: TitleIndex, utility: np.ndarray, candidates: np.ndarray, k: int) -> list[Slot]:
    """The ``k`` best franchises among ``candidates`` (bool (n,)) by ``utility``, each shown by
    its next title to watch (earliest start; ties by utility)."""
    rows = np.flatnonzero(candidates)
    if k <= 0 or len(rows) == 0:
        return []
    order = rows[np.lexsort((rows, -utility[rows]))]
    groups = index.franchise[order]
    _, first, counts = np.unique(groups, return_index=True, return_counts=True)
    best_groups = np.sort(first)[:k]  # positions in ``order`` of each group's best title
    out = []
    for pos in best_groups:
        best = int(order[pos])
        group = int(index.franchise[best])
        members = rows[index.franchise[rows] == group] if counts.max() > 1 else np.asarray([best])
        # Only titles nearly as good may take the slot (crossovers merge a few big groups).
        near = members[utility[members] >= utility[best] - NEXT_MARGIN]
        nxt = int(near[np.lexsort((-utility[near], index.start[near]))][0])
        out.append(Slot(nxt, best, len(members) - 1))
    return out
