"""Franchise share and discovery from the catalog's relations (training.evaluation.franchise)."""

from __future__ import annotations

import numpy as np
import pytest

from model.catalog import Catalog
from model.catalog.titles import CatalogTitle, Relation
from model.coldstart.index import TitleIndex
from model.features import RatingNormalizer
from training.evaluation.franchise import catalog_relation, unrelated_mask
from training.evaluation.measures import discovery_recall, franchise_mask, franchise_share
from training.metrics import top_k
from training.scenario import FoldIn

# Ids 1 → 2 → 3 a franchise (MAL-asserted sequels); 4 – 5 linked by another site only (not
# MAL-asserted, so not a strong link either); 6, 7, 8 alone; 9 is in the corpus, not the catalog.
CORPUS = np.arange(1, 10, dtype=np.int64)


def catalog() -> Catalog:
    titles = [CatalogTitle(anime_id=a, title=f"Title {a}", year=2000 + a) for a in range(1, 9)]
    relations = {
        1: [Relation(2, "sequel", True)],
        2: [Relation(1, "prequel", True), Relation(3, "sequel", True)],
        3: [Relation(2, "prequel", True)],
        4: [Relation(5, "related", False)],
        5: [Relation(4, "related", False)],
    }
    return Catalog.from_titles(titles, relations)


def batch(listed: list[list[int]], held: list[list[int]]) -> FoldIn:
    b, n = len(listed), len(CORPUS)
    presence, held_out = np.zeros((b, n), np.float32), np.zeros((b, n), np.float32)
    for k, (ids, out) in enumerate(zip(listed, held, strict=True)):
        presence[k, np.asarray(ids) - 1] = 1.0
        held_out[k, np.asarray(out) - 1] = 1.0
    return FoldIn(
        users=np.arange(b),
        presence=presence,
        values=np.zeros((b, n), np.float32),
        has_scores=np.zeros(b, bool),
        normalizers=tuple(RatingNormalizer.from_scores([]) for _ in range(b)),
        user_means=(None,) * b,
        held_out=held_out,
        held_scored=tuple((np.zeros(0, np.int64), np.zeros(0)) for _ in range(b)),
    )


def test_relation_is_mal_asserted_direct_links_only() -> None:
    related = catalog_relation(catalog(), CORPUS)
    pairs = {(int(i) + 1, int(j) + 1) for i, j in zip(*np.nonzero(related), strict=True) if i < j}
    assert pairs == {(1, 2), (2, 3)}  # not 1–3 (two hops), not 4–5 (another site's link)


def test_franchise_share_of_the_top_counts_titles_related_to_the_list() -> None:
    fold = batch([[1, 4]], [[3]])
    mask = franchise_mask(fold, catalog_relation(catalog(), CORPUS))
    assert np.flatnonzero(mask[0]).tolist() == [1]  # only id 2 is directly MAL-related to 1 or 4
    scores = np.asarray([[0, 9, 1, 0, 8, 2, 3, 4, 5]], float)  # top 2: ids 2, 5
    assert franchise_share(top_k(scores, 2), mask) == 0.5
    assert franchise_share(top_k(scores, 4), mask) == 0.25  # ids 2, 5, 9, 8


def test_discovery_ranks_and_counts_only_titles_unrelated_to_the_list() -> None:
    # User 0 lists 1 and 4: franchise {1, 2, 3} and the direct links 2 and 5 are out.
    # User 1's held-out title is in its franchise: nothing to discover, left out of the mean.
    fold = batch([[1, 4], [1]], [[3, 7], [2]])
    unrelated = unrelated_mask(TitleIndex(catalog()), CORPUS, fold.presence)
    assert np.flatnonzero(unrelated[0]).tolist() == [5, 6, 7, 8]  # ids 6, 7, 8, 9
    # Ranks the related ids 3 and 5 first: they must not take the unrelated title's place.
    scores = np.asarray([[0, 0, 9, 0, 8, 1, 7, 2, 0], [0, 0, 9, 0, 8, 1, 7, 2, 0]], float)
    assert discovery_recall(scores, fold, unrelated, k=1) == 1.0  # id 7 first among unrelated
    worse = scores.copy()
    worse[:, 7] = 7.5  # id 8 (unrelated, not held out) now above id 7
    assert discovery_recall(worse, fold, unrelated, k=1) == 0.0
    assert discovery_recall(worse, fold, unrelated, k=2) == pytest.approx(1.0)
