"""Serving's shortcuts give what the plain computation gives: what is kept between calls
(model.recommender.query.QueryMemo), the reasons of a page found together
(model.coldstart.reasons.reasons_of), the content product over some rows (RowDot), explained
pages without the profile's insights, a franchise's line chosen on Python lists."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import cast

import numpy as np
import pytest

from model.coldstart import TitleIndex
from model.coldstart.features import list_view
from model.coldstart.franchise import SHORTLIST, _next_of, after_listed, best_rows, slots
from model.coldstart.index import Csr
from model.coldstart.reasons import earlier_on_list, reasons, reasons_of
from model.coldstart.rowdot import RowDot
from model.profile import ProfileEntry
from model.recommender import RecommendationQuery, Recommender
from model.recommender.query import QueryMemo
from tests.model.test_coldstart import S2, S3, SHOW, build_catalog


def test_a_memo_computes_each_key_once_and_keeps_only_a_few() -> None:
    calls: list[frozenset[int]] = []

    def rows(key: frozenset[int]) -> list[int]:
        calls.append(key)
        return sorted(key)

    memo = QueryMemo(rows, size=2)
    a, b, c = frozenset({3, 1}), frozenset({2}), frozenset({5})
    assert memo(a) == [1, 3] and memo(frozenset({1, 3})) == [1, 3]  # an equal set: no recompute
    assert memo(b) == [2] and calls == [a, b]
    assert memo(c) == [5]  # a third key pushes out the oldest …
    assert memo(a) == [1, 3] and calls == [a, b, c, a]  # … which is computed again


def test_masks_follow_the_excluded_ids_of_each_query(tiny_model: Path) -> None:
    rec = Recommender.load(tiny_model, catalog=build_catalog(), workers=1)
    profile = rec.encode([ProfileEntry(1000, 8, "completed")])
    assert rec.mixing is not None
    index = rec.mixing.index
    for hidden in ({1003}, {1005, SHOW}, set()):
        query = RecommendationQuery(5, exclude=hidden)
        mask = rec.candidates.mask(profile, query)
        assert not mask[rec.position(1000)]  # the list's own title
        assert [a for a in range(1001, 1040) if not mask[rec.position(a)]] == sorted(
            hidden - {SHOW}
        )
        mask[:] = False  # the caller's copy: the next call's mask is whole again
        assert rec.candidates.mask(profile, query)[rec.position(1002)]
        named = rec.mixing.named(query)
        assert sorted(index.ids[~named & index.nsfw_known_safe].tolist()) == sorted(hidden)


def test_the_reasons_of_a_page_are_those_of_each_title() -> None:
    index = TitleIndex(build_catalog())
    entries = [ProfileEntry(SHOW, 9, "completed"), ProfileEntry(S2, 0, "watching")]
    entries += [ProfileEntry(a, 7, "completed") for a in (1001, 1002)]
    feats = list_view(index, entries)
    rows = np.arange(index.n)
    follows = earlier_on_list(index, feats, rows)
    for row in rows:  # each title's links to earlier titles, one title at a time
        links = index.links_of(np.asarray([row]))
        links = links[index.rel_strong[links] & ~index.rel_later[links]]
        expected = np.flatnonzero(np.isin(feats.rows, index.rel_other[links]))
        assert follows[row].tolist() == expected.tolist()
    assert follows[index.row(S3)].size and follows[index.row(S2)].size  # the sequels
    named = np.ones(index.n, dtype=bool)
    content = [bool(r % 2) for r in rows]
    page = reasons_of(index, feats, rows.tolist(), content, named)
    assert page == [
        reasons(index, feats, int(r), content=c, named=named)
        for r, c in zip(rows, content, strict=True)
    ]
    assert page[index.row(S3)] == ("sequel of Show 2nd Season, on your list",)
    assert any(line[0].startswith("like ") for line in page if line)


def test_row_dot_gives_the_bits_of_the_sparse_product_at_its_rows() -> None:
    rng = np.random.default_rng(7)
    lengths = rng.integers(0, 40, size=300)  # past 8 entries a pairwise sum would differ
    indices = np.concatenate([np.sort(rng.choice(500, n, replace=False)) for n in lengths])
    data = rng.random(len(indices)).astype(np.float32)
    csr = Csr(np.concatenate([[0], np.cumsum(lengths)]), indices, data, 500)
    rows = np.flatnonzero(rng.random(300) < 0.6)
    for part in (RowDot(csr, rows), RowDot(csr, rows, long=20)):  # rows past 20: one by one
        for _ in range(3):
            vector = rng.standard_normal(500) * (rng.random(500) < 0.5)
            # Equal bits, but for the sign of a zero sum (0.0 here, −0.0 from −0.0 terms).
            assert (part.dot(vector) + 0.0).tobytes() == (csr.dot(vector)[rows] + 0.0).tobytes()
    assert RowDot(csr, rows[:0]).dot(vector).shape == (0,)
    assert csr.dot_at(vector, rows[::-1]).tobytes() == csr.dot(vector)[rows[::-1]].tobytes()


def test_the_utility_of_a_ranking_under_the_sequel_rule(tiny_model: Path) -> None:
    rec = Recommender.load(tiny_model, catalog=build_catalog(), workers=1)
    assert rec.mixing is not None
    mixing, index = rec.mixing, rec.mixing.index
    entries = [ProfileEntry(SHOW, 9, "completed"), ProfileEntry(1001, 6, "completed")]
    (run,) = rec.passes([rec.encode(entries)])
    feats = mixing.features(entries)
    after = after_listed(index, feats.listed)
    full = mixing.utility(feats, run.log_scores())
    ruled = mixing.utility(feats, run.log_scores(), after)
    unread = np.isneginf(ruled)
    assert unread[index.row(S3)] and not unread[index.row(S2)]  # S2 comes after SHOW
    assert ruled[~unread].tobytes() == full[~unread].tobytes()
    query = RecommendationQuery(10, franchise="any")
    mask = mixing.candidates(feats, entries, query, rec.candidates.mask(run.profile, query))
    assert not (mask & unread).any()  # never a candidate


@pytest.mark.parametrize("name", ["graft_model", "alpha0_model"])
def test_explained_pages_without_insights_are_those_with(
    name: str, request: pytest.FixtureRequest
) -> None:
    rec = Recommender.load(request.getfixturevalue(name), workers=1)
    rng = np.random.default_rng(3)
    lists = [[], [ProfileEntry(1000, 0, "completed")]]
    for size in (5, 12, 30):  # some scored, some not: the variants' scored columns differ
        ids = rng.choice(rec.n_items, size, replace=False)
        scores = rng.integers(0, 11, size)
        lists.append(
            [
                ProfileEntry(1000 + int(i), int(s), "completed")
                for i, s in zip(ids, scores, strict=True)
            ]
        )
    query = RecommendationQuery(9)
    pages = rec.recommend_many(lists, query)  # no insights: only the titles' columns are read
    for entries, page in zip(lists, pages, strict=True):
        recs, insights = rec.analyze(entries, query)
        assert page == recs
        assert len(page) == 9
        if len(entries) >= 5:  # explained, and the insights the page leaves out exist
            assert any(r.contributors for r in page) and insights.most_impactful


def test_each_franchise_line_shows_the_title_the_plain_rule_picks() -> None:
    rng = np.random.default_rng(11)
    n = 400
    for trial in range(20):
        index = cast(
            TitleIndex,
            SimpleNamespace(
                n=n,
                franchise=rng.integers(0, 60, n),  # big groups: many near titles each
                start=np.where(rng.random(n) < 0.2, np.inf, rng.integers(0, 8, n) * 1.0),
            ),
        )
        utility = np.round(rng.normal(0, 1.5, n), 1)  # ties in score and in start
        if trial % 5 == 4:
            utility[rng.integers(0, n, 3)] = np.nan  # the NumPy loop's own order
        after = rng.random(n) < 0.1
        candidates = rng.random(n) < 0.7
        got = slots(index, utility, candidates, 12, after=after)
        rows = np.flatnonzero(candidates)
        order = best_rows(utility, rows, SHORTLIST * 12)
        groups = index.franchise[order]
        for slot in got:
            pos = int(np.flatnonzero(order == slot.ranked_by)[0])
            assert slot.row == _next_of(index, order, groups, utility, after, pos)
        assert len(got) == 12
