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
    index: TitleIndex,
    listed: np.ndarray,
    mode: str,
    *,
    sequels: bool = False,
    after: np.ndarray | None = None,
) -> np.ndarray:
    """(n,) bool: the titles ``mode`` and the sequel rule let through (the list's own titles
    are the caller's to remove); ``after``: :func:`after_listed` of ``listed``, if known."""
    if mode not in MODES:
        raise ValueError(f"franchise must be one of {MODES}, got {mode!r}")
    ok = np.ones(index.n, dtype=bool)
    if not sequels:
        ok &= ~index.has_prequel | (after if after is not None else after_listed(index, listed))
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
    heads = np.sort(first)[:k]  # positions in ``order`` of each group's best title
    scores = utility[order]
    if scores.dtype != np.float64 or np.isnan(scores).any():  # as NumPy compares them
        return [Slot(_next_of(index, order, groups, utility, after, p), int(order[p]),
                     int(sizes[groups[p]]) - 1) for p in heads]  # fmt: skip
    # The same choice as _next_of, on Python lists: a page has a few titles per group.
    u, start, rows_of = scores.tolist(), index.start[order].tolist(), order.tolist()
    later = after[order].tolist() if after is not None else None
    members: dict[int, list[int]] = {}
    for i, group in enumerate(groups.tolist()):
        members.setdefault(group, []).append(i)
    out = []
    for pos in heads.tolist():
        group = int(groups[pos])
        floor = u[pos] - NEXT_MARGIN
        near = [i for i in members[group] if u[i] >= floor]
        if later is not None and any(later[i] for i in near):
            near = [i for i in near if later[i]]
        nxt = min(near, key=lambda i: (start[i], -u[i]))  # the first of the earliest, best
        out.append(Slot(rows_of[nxt], rows_of[pos], int(sizes[group]) - 1))
    return out


def _next_of(
    index: TitleIndex,
    order: np.ndarray,
    groups: np.ndarray,
    utility: np.ndarray,
    after: np.ndarray | None,
    pos: int,
) -> int:
    """The next title to watch of the group whose best title is ``order[pos]``: the earliest of
    the shortlisted titles of the group nearly as good as its best (crossovers merge a few big
    groups, whose far ends should not show), one after a listed title where there is one."""
    best = int(order[pos])
    near = order[(groups == groups[pos]) & (utility[order] >= utility[best] - NEXT_MARGIN)]
    if after is not None and after[near].any():
        near = near[after[near]]
    return int(near[np.lexsort((-utility[near], index.start[near]))][0])
