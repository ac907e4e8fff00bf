"""A "same franchise" relation from titles alone, to split hits into franchise / other."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

PARTICLES = frozenset({"no", "ga", "wa", "wo", "to", "ni", "de", "the", "a", "of"})


def _words(title: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", title.lower().replace("'", ""))


def franchise_relation(titles: Sequence[str]) -> np.ndarray:
    """A cheap (N, N) bool "same franchise" relation from titles (a heuristic, not ground truth).

    Two titles are related when one's word sequence is a prefix of the other's (``Naruto`` →
    ``Naruto: Shippuuden``, ``Haikyuu!!`` → ``Haikyuu!! Second Season``; the shorter needs ≥4
    letters), or they share the key before any colon of their first two words, plus the third
    when the second is a particle (``Shingeki no Kyojin``, ``Code Geass``).
    """
    seqs = [tuple(_words(t)) for t in titles]
    by_seq: dict[tuple[str, ...], list[int]] = {}
    by_key: dict[tuple[str, ...], list[int]] = {}
    for i, (title, seq) in enumerate(zip(titles, seqs, strict=True)):
        by_seq.setdefault(seq, []).append(i)
        head = _words(title.split(":")[0])
        key = tuple(head[: 3 if len(head) > 2 and head[1] in PARTICLES else 2])
        if key and sum(len(w) for w in key) >= 4:
            by_key.setdefault(key, []).append(i)
    n = len(titles)
    related = np.zeros((n, n), bool)
    for members in by_key.values():
        related[np.ix_(members, members)] = True
    for i, seq in enumerate(seqs):
        for end in range(1, len(seq)):
            prefix = seq[:end]
            if sum(len(w) for w in prefix) >= 4:
                for j in by_seq.get(prefix, ()):
                    related[i, j] = related[j, i] = True
    np.fill_diagonal(related, False)
    return related
