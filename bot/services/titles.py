"""In-memory title search for autocomplete: English, romaji and synonyms, forgiving of typos.

Each title variant is normalized (accents stripped, case-folded, punctuation to spaces) and
indexed by its character trigrams. A query scores each variant by exact, prefix and substring
matches first, then by trigram overlap (a typo breaks at most three trigrams), with popularity
as the tie-break. Searching 10k titles with ~3 variants each takes about a millisecond.

Kept over rapidfuzz (measured on catalog-2026, 29.8k titles, 300 popular titles): with
``process.extract`` the only scorer that also serves autocomplete prefixes (WRatio) was 4-16x
slower per query and put the intended title first for 10-61% of one-typo queries against 97%
here; QRatio was 0.3-0.6x the time but found 5% of prefixes in its top 25 (98% here) and
WRatio matched ``"zzzzqqqq"`` to a title. The trigram index is the behaviour we want.
"""

from __future__ import annotations

import heapq
import math
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

_NON_WORD = re.compile(r"[^0-9a-z]+")
MAX_CANDIDATES = 300
MIN_SCORE = 0.3
POPULARITY_WEIGHT = 0.25  # log-popularity bonus: breaks near-ties ("one" → One Piece)


def normalize(text: str) -> str:
    """Lowercase ASCII words separated by single spaces (``"Shingeki no Kyojin: The Final"``
    → ``"shingeki no kyojin the final"``)."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return _NON_WORD.sub(" ", stripped).strip()


def trigrams(normalized: str) -> set[str]:
    padded = f"  {normalized} "
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


@dataclass(frozen=True, slots=True)
class TitleHit:
    anime_id: int
    matched: str  # the variant (as written) that matched best
    score: float


class TitleIndex:
    """Trigram index over ``(anime_id, variants, popularity)`` rows."""

    def __init__(self, rows: Iterable[tuple[int, Sequence[str], int | None]]) -> None:
        self._ids: list[int] = []
        self._raw: list[str] = []
        self._norm: list[str] = []
        self._grams: list[int] = []
        self._boost: dict[int, float] = {}
        postings: dict[str, list[int]] = defaultdict(list)
        for anime_id, variants, popularity in rows:
            self._boost[anime_id] = math.log1p(max(popularity or 0, 0))
            seen: set[str] = set()
            for raw in variants:
                norm = normalize(raw or "")
                if not norm or norm in seen:
                    continue
                seen.add(norm)
                index = len(self._ids)
                self._ids.append(anime_id)
                self._raw.append(raw)
                self._norm.append(norm)
                grams = trigrams(norm)
                self._grams.append(len(grams))
                for gram in grams:
                    postings[gram].append(index)
        self._postings = dict(postings)
        self._max_boost = max(self._boost.values(), default=0.0) or 1.0

    def __len__(self) -> int:
        return len(self._boost)

    def _score(self, query: str, q_grams: int, index: int, overlap: int) -> float:
        norm = self._norm[index]
        if norm == query:
            return 3.0
        if norm.startswith(query):
            return 2.0 + len(query) / len(norm)
        if f" {query}" in f" {norm}":
            return 1.5 + len(query) / len(norm)
        containment = overlap / q_grams
        dice = 2 * overlap / (q_grams + self._grams[index])
        return 0.7 * containment + 0.3 * dice

    def search(self, query: str, limit: int = 25) -> list[TitleHit]:
        """The best ``limit`` titles for ``query``, one hit per anime, best first."""
        q = normalize(query)
        if not q:
            return []
        q_grams = trigrams(q)
        counts: dict[int, int] = defaultdict(int)
        for gram in q_grams:
            for index in self._postings.get(gram, ()):
                counts[index] += 1
        candidates = heapq.nlargest(MAX_CANDIDATES, counts.items(), key=lambda kv: kv[1])
        best: dict[int, tuple[float, int]] = {}
        for index, overlap in candidates:
            score = self._score(q, len(q_grams), index, overlap)
            if score < MIN_SCORE:
                continue
            anime_id = self._ids[index]
            if anime_id not in best or score > best[anime_id][0]:
                best[anime_id] = (score, index)
        ranked = sorted(
            best.items(),
            key=lambda kv: kv[1][0] + POPULARITY_WEIGHT * self._boost[kv[0]] / self._max_boost,
            reverse=True,
        )
        return [TitleHit(aid, self._raw[idx], score) for aid, (score, idx) in ranked[:limit]]
