"""List entries → the network's input: the one encoder, for serving and training alike.

:func:`encode_batch` is the encoder; :func:`encode_profile` is a batch of one. Per profile it
dedupes the list (:func:`model.profile.dedupe`), looks the ids up in the corpus (ids outside it
are reported, not encoded), keeps the entries that pass the status rule
(:attr:`model.profile.ProfileEntry.enters_input`), fits the user's μ and σ on the scored ones
(:meth:`model.features.RatingNormalizer.from_scores`) and maps every input entry to its hybrid
value (:func:`model.features.hybrid_value`; DESIGN.md, "Hybrid normalization"). The input is
the denoising autoencoder's (Liang et al. 2018, "Variational Autoencoders for Collaborative
Filtering"): presence flags and, as a second channel, the normalized ratings.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt

from model.features import EncodedProfile, RatingNormalizer, hybrid_value, unscored_score
from model.profile import STATUSES, ProfileEntry, dedupe

Ints = npt.NDArray[np.int64]

_STATUS_CODES: dict[str | None, int] = {s: i for i, s in enumerate((None, *STATUSES))}
# Per status code, read off ProfileEntry itself so that the rule is written once.
_PROBES = [ProfileEntry(0, 0, s) for s in _STATUS_CODES]
_ENTERS_UNSCORED = np.asarray([e.enters_input for e in _PROBES], dtype=bool)
_PLANNED = np.asarray([e.is_planned for e in _PROBES], dtype=bool)
_DROPPED = np.asarray([e.status == "dropped" for e in _PROBES], dtype=bool)


class CorpusIndex:
    """Anime id → corpus position for whole arrays of ids at once (binary search)."""

    def __init__(self, corpus_ids: npt.ArrayLike) -> None:
        ids = np.asarray(corpus_ids, dtype=np.int64)
        self._order = np.argsort(ids, kind="stable")
        self._sorted = ids[self._order]

    def positions(self, anime_ids: Ints) -> Ints:
        """Corpus position of each id, −1 outside the corpus."""
        if len(self._sorted) == 0:
            return np.full(len(anime_ids), -1, dtype=np.int64)
        at = np.minimum(np.searchsorted(self._sorted, anime_ids), len(self._sorted) - 1)
        return np.where(self._sorted[at] == anime_ids, self._order[at], -1)


Corpus = CorpusIndex | Mapping[int, int]
"""A corpus lookup: a :class:`CorpusIndex`, or a mapping of anime id → corpus position."""


def encode_profile(entries: Sequence[ProfileEntry], corpus: Corpus) -> EncodedProfile:
    """One member's list, encoded: ``encode_batch([entries], corpus)[0]``."""
    return encode_batch([entries], corpus)[0]


def encode_batch(
    profiles: Sequence[Sequence[ProfileEntry]], corpus: Corpus
) -> list[EncodedProfile]:
    """Each list encoded on its own (the batch only shares the array work).

    μ and σ are fitted on the in-corpus scored entries in corpus order, the set training sees;
    input entries come out sorted by corpus position, unknown ids in list order.
    """
    n_profiles = len(profiles)
    lists = [dedupe(p) for p in profiles]
    lengths = np.fromiter((len(p) for p in lists), dtype=np.int64, count=n_profiles)
    total = int(lengths.sum())
    flat = [e for p in lists for e in p]
    ids = np.fromiter((e.anime_id for e in flat), dtype=np.int64, count=total)
    raw_scores = np.fromiter((e.score for e in flat), dtype=np.int64, count=total)
    codes = np.fromiter((_STATUS_CODES[e.status] for e in flat), dtype=np.int8, count=total)
    seg = np.repeat(np.arange(n_profiles, dtype=np.int64), lengths)
    if isinstance(corpus, CorpusIndex):
        pos = corpus.positions(ids)
    else:
        pos = np.fromiter((corpus.get(e.anime_id, -1) for e in flat), np.int64, count=total)

    known = pos >= 0
    unknown_seg, unknown_ids = seg[~known], ids[~known]
    kept = np.flatnonzero(known)
    kept = kept[np.lexsort((pos[kept], seg[kept]))]
    k_seg, k_pos, k_scores, k_codes = seg[kept], pos[kept], raw_scores[kept], codes[kept]
    scored = k_scores > 0
    enters = scored | _ENTERS_UNSCORED[k_codes]

    # Each profile's fit sees its scored input entries in corpus order, as a fit on that
    # profile alone would: float sums depend on the order.
    fit_bounds = _bounds(k_seg[scored], n_profiles)
    fit_scores = k_scores[scored]
    normalizers = [
        RatingNormalizer.from_scores(fit_scores[fit_bounds[b] : fit_bounds[b + 1]])
        for b in range(n_profiles)
    ]
    means = np.asarray([n.mean for n in normalizers], dtype=np.float64)
    stds = np.asarray([n.std for n in normalizers], dtype=np.float64)

    i_seg = k_seg[enters]
    mean, std = means[i_seg], stds[i_seg]
    in_scored = scored[enters]
    score = np.where(
        in_scored, k_scores[enters], unscored_score(mean, std, _DROPPED[k_codes[enters]])
    )
    values = hybrid_value(score, mean, std).astype(np.float32)
    in_pos = k_pos[enters]
    planned = _PLANNED[k_codes]
    plan_pos = k_pos[planned]
    i_at = _bounds(i_seg, n_profiles)
    k_at = _bounds(k_seg, n_profiles)
    p_at = _bounds(k_seg[planned], n_profiles)
    u_at = _bounds(unknown_seg, n_profiles)
    return [
        EncodedProfile(
            indices=in_pos[i_at[b] : i_at[b + 1]],
            values=values[i_at[b] : i_at[b + 1]],
            scored=in_scored[i_at[b] : i_at[b + 1]],
            planned=plan_pos[p_at[b] : p_at[b + 1]],
            excluded=k_pos[k_at[b] : k_at[b + 1]],
            normalizer=normalizers[b],
            unknown_ids=tuple(unknown_ids[u_at[b] : u_at[b + 1]].tolist()),
        )
        for b in range(n_profiles)
    ]


def _bounds(segments: Ints, n_profiles: int) -> list[int]:
    """Where each profile's run starts in ``segments`` (sorted profile numbers), and the end."""
    if n_profiles == 1:  # serving's common case, without the search
        return [0, len(segments)]
    return list(np.searchsorted(segments, np.arange(n_profiles + 1)).tolist())
