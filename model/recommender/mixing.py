"""One ranking over the whole catalog: the network's titles and the side channel's, mixed.

Titles the network knows keep their log unified score (``ProfilePass.log_scores``) plus the
relation signal of list entries the network does not know; every other catalog title gets the
side channel's calibrated utility (:mod:`model.coldstart.calibration`), on the same scale. When
no list entry is known to the network its output is the empty-profile ranking, so then every
title is ranked by the side channel alone (it reads every entry). Candidates are filtered (media
types, the list, excluded ids, NSFW status: unknown counts as NSFW unless allowed, the franchise
mode and the sequel rule) and grouped one line per franchise (:mod:`model.coldstart.franchise`).
The reasons in words name list titles by the same NSFW rule (:mod:`model.coldstart.reasons`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from model.coldstart.calibration import Calibration
from model.coldstart.features import (
    ListView,
    corpus_utility,
    list_view,
    new_utility,
    static_features,
)
from model.coldstart.franchise import Slot, after_listed, allowed, slots
from model.coldstart.index import TitleIndex
from model.coldstart.reasons import reasons, reasons_of
from model.coldstart.rowdot import RowDot
from model.forward import ProfilePass
from model.profile import ProfileEntry, dedupe
from model.recommender.query import QueryMemo, RecommendationQuery
from model.results import Explanation, Recommendation

HANDFUL = 5
"""Below this many entries known to the network, a reply says the model barely knows the list."""


@dataclass(frozen=True)
class Pick:
    """One line of a mixed ranking: a corpus position when the network ranks the title."""

    anime_id: int
    position: int | None
    utility: float
    more: int
    reasons: tuple[str, ...]
    predicted_score: float  # the title's mean score, 0 when unknown


class CatalogRanking:
    """The mixed ranking of one recommender's corpus with a catalog (read-only, shareable)."""

    def __init__(self, index: TitleIndex, calibration: Calibration, corpus_ids: np.ndarray):
        self.index = index
        self.calibration = calibration
        rows = np.asarray(
            [index.row(int(a)) if index.row(int(a)) is not None else -1 for a in corpus_ids],
            dtype=np.int64,
        )
        self.corpus_rows = rows  # (N,) catalog row per corpus position, −1 if absent
        self.position_of_row = np.full(index.n, -1, dtype=np.int64)
        self.position_of_row[rows[rows >= 0]] = np.flatnonzero(rows >= 0)
        self._theta_new = calibration.theta_new
        self._theta_corpus = calibration.theta_corpus
        self._static = static_features(index) @ self._theta_new
        self._nsfw = {
            flag: np.asarray(index.catalog.nsfw_allowed_mask(flag), dtype=bool)
            for flag in (False, True)
        }
        self._named = QueryMemo(self._named_rows)
        self._shown = QueryMemo(self._shown_rows)
        self._side = self.position_of_row < 0  # rows only the side channel ranks
        # Of those, the ones a list may let through only when they come after a listed title
        # (later entries, by the sequel rule; unaired titles): their utility is read then alone.
        self._closed = self._side & (index.has_prequel | index.upcoming)
        self._closed_rows = np.flatnonzero(self._closed)
        self._open_content = RowDot(index.content_all, np.flatnonzero(self._side & ~self._closed))

    def named(self, query: RecommendationQuery) -> np.ndarray:
        """(n,) bool: the catalog rows a reason may name under ``query``: by its NSFW rule, and
        none it excludes (the caller's own hidden ids, e.g. the bot's newer NSFW statuses).
        Shared between calls: read only."""
        return self._named((query.allow_nsfw, query.exclude))

    def _named_rows(self, key: tuple[bool, frozenset[int]]) -> np.ndarray:
        allow_nsfw, exclude = key
        named = self._nsfw[allow_nsfw]
        if exclude:
            named = named.copy()
            named[self.index.rows_of(exclude)] = False
        return named

    def _shown_rows(self, key: tuple[bool, frozenset[str] | None, frozenset[int]]) -> np.ndarray:
        """(n,) bool: the rows a query's NSFW rule, media types and excluded ids let through
        (the part of :meth:`candidates` the list does not change)."""
        allow_nsfw, media, exclude = key
        mask = self._nsfw[allow_nsfw].copy()
        if media is not None:
            mask &= np.isin(self.index.media, [str(m).lower() for m in media])
        mask[self.index.rows_of(exclude)] = False
        return mask

    def features(self, entries: Sequence[ProfileEntry]) -> ListView:
        """The side channel's view of a list; entries outside the corpus feed ``corpus``."""
        kept = [e for e in dedupe(entries) if e.enters_input]
        unknown = np.asarray(
            [
                self.position_of_row[r] < 0
                if (r := self.index.row(e.anime_id)) is not None
                else True
                for e in kept
            ],
            dtype=bool,
        )
        return list_view(self.index, entries, unknown)

    def utility(
        self, feats: ListView, log_scores: np.ndarray | None, after: np.ndarray | None = None
    ) -> np.ndarray:
        """(n,) utility per catalog row; ``log_scores`` None ranks every title as new.

        ``after`` (:func:`after_listed` of the list), with ``log_scores``: for a ranking under
        the sequel rule, which never returns a later entry or an unaired title that the network
        does not rank unless it comes after a listed title; those rows get −inf unread."""
        if log_scores is None or after is None:
            u = new_utility(self.index, feats, self._theta_new, self._static)
        else:  # the corpus rows are the network's: their side-channel terms are not read
            opened = self._closed_rows[after[self._closed_rows]]
            u = new_utility(
                self.index, feats, self._theta_new, self._static, self._open_content, opened
            )
            kept = u[opened]
            u[self._closed_rows] = -np.inf
            u[opened] = kept
        if log_scores is not None:
            inside = self.corpus_rows >= 0
            rows = self.corpus_rows[inside]
            extra = corpus_utility(self.index, feats, self._theta_corpus)
            u[rows] = log_scores[inside] + extra[rows]
        return u

    def candidates(
        self,
        feats: ListView,
        entries: Sequence[ProfileEntry],
        query: RecommendationQuery,
        corpus_mask: np.ndarray | None,
        known: bool = True,
        after: np.ndarray | None = None,
    ) -> np.ndarray:
        """(n,) bool: catalog rows ``query`` may return (``corpus_mask``: the network's own
        candidate filter over corpus positions; ``known``: whether the network ranks its
        corpus titles, else the side channel ranks every title; ``after``:
        :func:`after_listed` of the list, if the caller has it).

        A title the side channel ranks that has not aired yet is left out unless it follows a
        title on the list (the announced next season of a show watched): nothing is known of
        its reception, and an unaired title unrelated to the list is no recommendation."""
        index = self.index
        mask = self._shown((query.allow_nsfw, query.media, query.exclude)).copy()
        listed = dedupe(entries)
        shown_anyway = (
            {e.anime_id for e in listed if e.is_planned} if query.include_planned else set()
        )
        mask[index.rows_of(e.anime_id for e in listed if e.anime_id not in shown_anyway)] = False
        if corpus_mask is not None:
            inside = self.corpus_rows >= 0
            mask[self.corpus_rows[inside]] &= corpus_mask[inside]
        if after is None:
            after = after_listed(index, feats.listed)
        rules = allowed(
            index, feats.listed, query.franchise, sequels=not query.franchise_rules, after=after
        )
        side = self._side if known else np.ones(index.n, dtype=bool)
        mask &= ~(side & index.upcoming & ~after)
        out: np.ndarray = mask & rules
        return out

    def rank(
        self,
        run: ProfilePass | None,
        entries: Sequence[ProfileEntry],
        query: RecommendationQuery,
        corpus_mask: np.ndarray | None = None,
    ) -> list[Pick]:
        """The ``query.k`` best lines over the catalog, with their reasons in words."""
        feats = self.features(entries)
        known = run is not None and run.inp.size > 0
        after = after_listed(self.index, feats.listed)
        u = self.utility(
            feats,
            run.log_scores() if known and run is not None else None,
            after if query.franchise_rules else None,
        )
        chosen: list[Slot] = slots(
            self.index,
            u,
            self.candidates(feats, entries, query, corpus_mask, known, after),
            query.k,
            grouped=query.franchise_rules,
            after=after,
        )
        rows = [slot.row for slot in chosen]
        positions = self.position_of_row[rows].tolist() if rows else []
        network = [known and pos >= 0 for pos in positions]
        said = reasons_of(self.index, feats, rows, [not n for n in network], self.named(query))
        return [
            Pick(
                anime_id=int(self.index.ids[slot.row]),
                position=int(pos) if by_network else None,
                utility=float(u[slot.ranked_by]),
                more=slot.more,
                reasons=why,
                predicted_score=float(self.index.mean_raw[slot.row]),
            )
            for slot, pos, by_network, why in zip(chosen, positions, network, said, strict=True)
        ]

    def explain(
        self,
        run: ProfilePass,
        entries: Sequence[ProfileEntry],
        anime_id: int,
        query: RecommendationQuery,
        corpus_mask: np.ndarray | None = None,
    ) -> Explanation | None:
        """A catalog title outside the corpus as :meth:`rank` sees it; None if the catalog
        lacks it.

        Its rank is the place its line would take ranked by its own score: 1 + the other
        franchises with a better candidate (None when ``query`` filters it out or it is on the
        list); its score is the calibrated one, its predicted score its mean score (None when it has
        none: the member's own mean is no title's mean), as :func:`mixed_recommendations` gives
        them.
        """
        row = self.index.row(anime_id)
        if row is None or self.position_of_row[row] >= 0:
            return None
        feats = self.features(entries)
        known = run.inp.size > 0
        u = self.utility(feats, run.log_scores() if known else None)
        mask = self.candidates(feats, entries, query, corpus_mask, known)
        rank = None
        if mask[row]:
            franchise = self.index.franchise
            better = mask & (u > u[row]) & (franchise != franchise[row])
            rank = 1 + len(np.unique(franchise[better]))
        entry = {e.anime_id: e for e in dedupe(entries)}.get(anime_id)
        score = float(np.exp(u[row]))
        mean = float(self.index.mean_raw[row])
        return Explanation(
            anime_id=anime_id,
            in_corpus=False,
            on_list=entry is not None,
            rank=rank,
            score=score,
            presence=score,
            predicted_score=mean if mean else None,
            user_score=entry.score if entry is not None and entry.is_scored else None,
            surprise=None,
            contributors=(),
            source="catalog",
            reasons=reasons(self.index, feats, row, content=True, named=self.named(query)),
        )


def mixed_recommendations(
    run: ProfilePass, picks: Sequence[Pick], network: Sequence[Recommendation]
) -> list[Recommendation]:
    """``picks`` as recommendations: the network's own (``network``, in the order of the picks
    it ranks) with the picks' reasons and franchise counts; the side channel's with
    ``exp(utility)`` as score and presence and the title's mean score as predicted score (0
    when it has none, e.g. not aired yet: never the member's mean under the title's name)."""
    own = iter(network)
    out = []
    for pick in picks:
        if pick.position is not None:
            rec = next(own)
            out.append(
                Recommendation(
                    rec.anime_id,
                    rec.score,
                    rec.presence,
                    rec.predicted_score,
                    rec.contributors,
                    "model",
                    pick.reasons,
                    pick.more,
                )
            )
            continue
        score = float(np.exp(pick.utility))
        out.append(
            Recommendation(
                pick.anime_id,
                score,
                score,
                pick.predicted_score,
                (),
                "catalog",
                pick.reasons,
                pick.more,
            )
        )
    return out
