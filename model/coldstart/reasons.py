"""Why the side channel ranks a title, in words: "sequel of X, which you rated 9", "like X and
Y: same studio, psychological, thriller".

A reason names only list titles the caller may show (``named``: where NSFW is not allowed, the
known-safe ones): a sequel of a hidden title says "sequel of a title on your list", and "like X"
is drawn from the shown titles only (no line when none is like it).
"""

from __future__ import annotations

import numpy as np

from model.coldstart.features import ListView
from model.coldstart.index import BLOCKS, TitleIndex

MAX_SHARED = 3
"""Genres/tags named in one "like X and Y" line."""


def _follows_line(index: TitleIndex, feats: ListView, row: int, named: np.ndarray) -> str | None:
    """The best-liked list entry that ``row`` comes after, as a sentence; the best-liked one
    ``named`` allows, else none by name."""
    # The links out of ``row`` to earlier titles on the list (the same links, seen from the
    # other end, as the "follows" feature's).
    links = index.links_of(np.asarray([row], dtype=np.int64))
    links = links[index.rel_strong[links] & ~index.rel_later[links]]
    on_list = np.flatnonzero(np.isin(feats.rows, index.rel_other[links]))
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


def _like_line(index: TitleIndex, feats: ListView, row: int, named: np.ndarray) -> str | None:
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
        sims += csr.rows_overlap(feats.rows, mine)
    sims *= feats.weights
    sims[~named[feats.rows]] = 0.0
    top = [int(i) for i in np.argsort(-sims, kind="stable")[:2] if sims[i] > 0]
    if not top:
        return None
    names = " and ".join(index.names[int(feats.rows[i])] for i in top)
    shared: list[str] = []
    studio = index.content["studio"]
    if any(np.intersect1d(studio.row(int(feats.rows[i])), cols["studio"]).size for i in top):
        shared.append("same studio")
    terms: list[tuple[float, str]] = []
    for block in ("genre", "tag"):
        csr = index.content[block]
        theirs = np.unique(np.concatenate([csr.row(int(feats.rows[i])) for i in top]))
        for c in np.intersect1d(theirs, cols[block]):
            terms.append((float(feats.taste[block][c]), index.vocab_names[block][int(c)]))
    seen: set[str] = set()
    for _, term in sorted(terms, reverse=True):
        if term not in seen and len(seen) < MAX_SHARED:
            seen.add(term)
            shared.append(term)
    return f"like {names}" + (f": {', '.join(shared)}" if shared else "")


def reasons(
    index: TitleIndex, feats: ListView, row: int, *, content: bool, named: np.ndarray
) -> tuple[str, ...]:
    """Sentences for one catalog row: what it follows on the list, and (``content``) what on the
    list it is like, naming only list titles whose catalog row ``named`` (an (n,) bool mask over
    catalog rows) is True."""
    out = []
    follows = _follows_line(index, feats, row, named)
    if follows:
        out.append(follows)
    if content and not follows:
        like = _like_line(index, feats, row, named)
        if like:
            out.append(like)
    return tuple(out)
