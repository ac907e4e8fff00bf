"""Missing information never lifts a title: the fit keeps missing-value indicators ≤ 0, titles
that have not aired are shown only as the next of a listed title, and a title without a mean
gets none in its place."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from model.catalog import Catalog, CatalogTitle
from model.coldstart.calibration import choice_set, fit_calibration
from model.coldstart.features import CORPUS_FEATURES, MISSING_FEATURES, NEW_FEATURES
from model.profile import ProfileEntry
from model.recommender import RecommendationQuery, Recommender
from tests.model.test_coldstart import OTHER, SHOW, TINY, build_catalog, ids, link

UNAIRED = 2040  # announced, unrelated to any list: a thriller of SHOW's studio
NEXT = 2041  # announced sequel of OTHER


def _sets(column: str, rng: np.random.Generator) -> list:
    """Choice sets where titles flagged in ``column`` are chosen far more often (like
    validation lists full of titles that had not aired when the data was taken)."""
    p_new = len(NEW_FEATURES)
    flag = NEW_FEATURES.index(column)
    out = []
    for _ in range(200):
        log_scores = rng.normal(-3, 1, size=30)
        x_new = np.zeros((30, p_new))
        x_new[:, 0] = 1
        x_new[:, NEW_FEATURES.index("genre")] = rng.uniform(0, 1, 30)
        x_new[:, flag] = rng.uniform(size=30) < 0.3
        genre = x_new[:, NEW_FEATURES.index("genre")]
        u = np.concatenate([log_scores, -2 + 1.5 * genre + 2.5 * x_new[:, flag]])
        pick = rng.choice(60, size=3, replace=False, p=np.exp(u) / np.exp(u).sum())
        target = np.zeros(60, bool)
        target[pick] = True
        x_c = np.zeros((30, len(CORPUS_FEATURES)))
        out.append(choice_set(log_scores, x_c, target[:30], x_new, target[30:], rng))
    return out


def test_fit_never_gives_a_missing_indicator_a_positive_weight() -> None:
    # The same data through an unconstrained column learns the large positive weight…
    free = fit_calibration(_sets("related", np.random.default_rng(0)))
    assert free.new["related"] > 1.5
    for column in MISSING_FEATURES:
        fit = fit_calibration(_sets(column, np.random.default_rng(0)))
        assert fit.new[column] <= 0.0  # …a missing-value indicator may not
        assert fit.a > 0.5 and np.isfinite(fit.info["log_likelihood"])
    # A stored calibration with a positive indicator does not lift a title at serving either.
    lifted = replace(TINY, new={**TINY.new, "no_mean": 3.0, "no_year": 1.5})
    assert np.array_equal(lifted.theta_new, TINY.theta_new)


def unaired_catalog() -> Catalog:
    base = build_catalog()
    titles = [t for a in base.ids if (t := base.get(int(a))) is not None]
    thriller = ("psychological", "thriller")
    titles += [
        CatalogTitle(
            UNAIRED,
            "Announced",
            type="tv",
            genres=thriller,
            studios=("madhouse",),
            nsfw=False,
            status="upcoming",
        ),
        CatalogTitle(
            NEXT,
            "Other Thriller 2nd Season",
            type="tv",
            genres=thriller,
            studios=("madhouse",),
            nsfw=False,
            status="upcoming",
        ),
    ]
    relations = {int(a): list(base.relations(int(a))) for a in base.ids}
    forward, backward = link(OTHER, NEXT)
    relations.setdefault(OTHER, []).append(forward)
    relations.setdefault(NEXT, []).append(backward)
    return Catalog.from_titles(titles, relations)


def test_unaired_titles_only_as_the_next_of_a_listed_title(tiny_model: Path) -> None:
    # The calibration the bug report found: missing mean and year weighted up.
    bugged = replace(TINY, new={**TINY.new, "no_mean": 3.19, "no_year": 1.51})
    rec = Recommender.load(tiny_model, catalog=unaired_catalog(), workers=1, calibration=bugged)
    entries = [ProfileEntry(SHOW, 10, "completed"), ProfileEntry(OTHER, 9, "completed")]
    recs = rec.recommend(entries, RecommendationQuery(60, explain=False))
    assert UNAIRED not in ids(recs)
    sequel = next(r for r in recs if r.anime_id == NEXT)
    assert sequel.source == "catalog" and sequel.predicted_score == 0.0  # no mean: none shown
    # Without OTHER on the list its announced sequel is no recommendation either.
    alone = ids(rec.recommend([ProfileEntry(SHOW, 10, "completed")], RecommendationQuery(60)))
    assert NEXT not in alone and UNAIRED not in alone
    why = rec.explain_catalog_title(entries, UNAIRED, RecommendationQuery(60))
    assert why.source == "catalog" and why.rank is None and why.predicted_score is None
