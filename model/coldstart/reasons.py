"""Why the side channel ranks a title, in words: "sequel of X, which you rated 9", "like X and
Y: same studio, psychological, thriller".

A reason names only list titles the caller may show (``named``: where NSFW is not allowed, the
known-safe ones): a sequel of a hidden title says "sequel of a title on your list", and "like X"
is drawn from the shown titles only (no line when none is like it).

The reasons of a whole page are found together (:func:`reasons_of`): the links of every title
on it in one pass, the list's content rows once.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from model.coldstart.features import ListView
from model.coldstart.index import BLOCKS, TitleIndex, spans

MAX_SHARED = 3
"""Genres/tags named in one "like X and Y" line."""

_NONE = np.empty(0, dtype=np.int64)

Overlap = dict[str, tuple[np.ndarray, np.ndarray]]
"""Per content block, the list rows' nonzero entries: (owner position in the list, column)."""


def earlier_on_list(index: TitleIndex, feats: ListView, rows: np.ndarray) -> list[np.ndarray]:
    """Per row of ``rows``: the positions in ``feats.rows`` (ascending) of the list entries it
    comes after: the links out of it to earlier titles (the same links, seen from the other
    end, as the "follows" feature's)."""
    rows = np.asarray(rows, dtype=np.int64)
    out = [_NONE] * len(rows)
    if len(rows) == 0 or len(feats.rows) == 0:
        return out
    links = index.links_of(rows)
    owner = np.repeat(np.arange(len(rows)), index.rel_indptr[rows + 1] - index.rel_indptr[rows])
    keep = index.rel_strong[links] & ~index.rel_later[links]
    other, owner = index.rel_other[links[keep]], owner[keep]
    # The list's rows are distinct (one per listed id): a sorted copy finds each at most once.
    order = np.argsort(feats.rows, kind="stable")
    ranked = feats.rows[order]
    at = np.minimum(np.searchsorted(ranked, other), len(ranked) - 1)
    hit = ranked[at] == other
    positions, owner = order[at[hit]], owner[hit]
    for j in np.unique(owner):
        out[int(j)] = np.unique(positions[owner == j])
    return out


def _follows_line(
    index: TitleIndex, feats: ListView, row: int, on_list: np.ndarray, named: np.ndarray
) -> str | None:
    """The best-liked list entry that ``row`` comes after (``on_list``: all of them, from
    :func:`earlier_on_list`), as a sentence; the best-liked one ``named`` allows, else none by
    name."""
    if len(on_list) == 0:
        return None
    shown = on_list[named[feats.rows[on_list]]]
    if len(shown) == 0:
        best = int(feats.rows[on_list[np.argmax(feats.values[on_list])]])
        kind = "sequel of" if index.media[row] == index.media[best] else "follows"
        return f"{kind} a title on your list"
    i = int(shown[np.argmax(feats.values[shown])])
    best = int(feats.rows[i])
    name = index.names[best]
    kind = "sequel of" if index.media[row] == index.media[best] else "follows"
    score = int(feats.scores[i])
    return f"{kind} {name}, which you rated {score}" if score else f"{kind} {name}, on your list"


def list_overlap(index: TitleIndex, feats: ListView) -> Overlap:
    """The list rows' content entries per block, read once for every "like" line of a page."""
    out: Overlap = {}
    for block in BLOCKS:
        csr = index.content[block]
        lengths = csr.indptr[feats.rows + 1] - csr.indptr[feats.rows]
        owner = np.repeat(np.arange(len(feats.rows)), lengths)
        out[block] = (owner, csr.indices[spans(csr.indptr, feats.rows)])
    return out


def _like_line(
    index: TitleIndex, feats: ListView, row: int, named: np.ndarray, overlap: Overlap
) -> str | None:
    """The two list entries ``named`` allows most like ``row`` (by content, weighted by liking)
    and what they share with it."""
    if len(feats.rows) == 0:
        return None
    sims = np.zeros(len(feats.rows))
    cols: dict[str, np.ndarray] = {}
    for block in BLOCKS:
        csr = index.content[block]
        cols[block] = csr.row(row)
        mine = np.zeros(csr.n_cols)
        mine[cols[block]] = 1.0 / max(len(cols[block]), 1)
        owner, theirs = overlap[block]
        # Per list entry, the sum of ``mine`` over its columns (Csr.rows_overlap).
        sims += np.bincount(owner, mine[theirs], minlength=len(feats.rows))
    sims *= feats.weights
    sims[~named[feats.rows]] = 0.0
    top = [int(i) for i in np.argsort(-sims, kind="stable")[:2] if sims[i] > 0]
    if not top:
        return None
    names = " and ".join(index.names[int(feats.rows[i])] for i in top)
    shared: list[str] = []
    # What the two share with ``row``, on sets of column numbers (a title has a few dozen).
    studio = index.content["studio"]
    own = set(cols["studio"].tolist())
    if any(own.intersection(studio.row(int(feats.rows[i])).tolist()) for i in top):
        shared.append("same studio")
    terms: list[tuple[float, str]] = []
    for block in ("genre", "tag"):
        csr = index.content[block]
        both = {c for i in top for c in csr.row(int(feats.rows[i])).tolist()}
        taste, vocab = feats.taste[block], index.vocab_names[block]
        terms.extend((float(taste[c]), vocab[c]) for c in both.intersection(cols[block].tolist()))
    seen: set[str] = set()
    for _, term in sorted(terms, reverse=True):
        if term not in seen and len(seen) < MAX_SHARED:
            seen.add(term)
            shared.append(term)
    return f"like {names}" + (f": {', '.join(shared)}" if shared else "")


def reasons_of(
    index: TitleIndex,
    feats: ListView,
    rows: Sequence[int],
    content: Sequence[bool],
    named: np.ndarray,
) -> list[tuple[str, ...]]:
    """Sentences for each catalog row of ``rows``: what it follows on the list, and (its
    ``content`` flag) what on the list it is like, naming only list titles whose catalog row
    ``named`` (an (n,) bool mask over catalog rows) is True."""
    follows = earlier_on_list(index, feats, np.asarray(rows, dtype=np.int64))
    overlap: Overlap | None = None
    out = []
    for row, on_list, like_too in zip(rows, follows, content, strict=True):
        lines = []
        line = _follows_line(index, feats, int(row), on_list, named)
        if line:
            lines.append(line)
        if like_too and not line:
            if overlap is None:
                overlap = list_overlap(index, feats)
            like = _like_line(index, feats, int(row), named, overlap)
            if like:
                lines.append(like)
        out.append(tuple(lines))
    return out


def reasons(
    index: TitleIndex, feats: ListView, row: int, *, content: bool, named: np.ndarray
) -> tuple[str, ...]:
    """:func:`reasons_of` one catalog row."""
    return reasons_of(index, feats, [row], [content], named)[0]
