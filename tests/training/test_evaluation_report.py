"""The evaluation report: ratios to EASE, the spread over seeds, the optional rows."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from model.profile import ProfileEntry
from training.dataset import DatasetOptions, build_dataset
from training.evaluation import report, variants
from training.evaluation.cost import ease_call, percentiles

from .conftest import synthetic_profiles

LABELS = {"model": "graft + network", "ease": "EASE", "popularity": "popularity"}


def seed_run(ndcg: float, discovery: float) -> report.Rows:
    return report.with_ratios(
        {
            "model": {"ndcg@100": ndcg, "recall@20": 0.3, "discovery_recall@20": discovery},
            "ease": {"ndcg@100": 0.5, "recall@20": 0.3, "discovery_recall@20": 0.1},
            "popularity": {"ndcg@100": 0.2, "recall@20": 0.1, "discovery_recall@20": 0.0},
        }
    )


def test_ratios_to_ease_are_per_row_and_skip_a_zero_reference() -> None:
    rows = seed_run(0.55, 0.12)
    assert rows["model"]["ndcg@100/ease"] == pytest.approx(1.1)
    assert rows["model"]["discovery_recall@20/ease"] == pytest.approx(1.2)
    assert rows["ease"]["recall@20/ease"] == 1.0
    assert "ndcg@100/ease" not in report.with_ratios({"model": {"ndcg@100": 0.5}})


def test_seeds_are_summarized_as_mean_min_max_and_nan_is_left_out() -> None:
    summary = report.summarize(
        [seed_run(0.5, 0.1), seed_run(0.6, float("nan")), seed_run(0.7, 0.14)]
    )
    ndcg = summary["model"]["ndcg@100"]
    assert (ndcg["mean"], ndcg["min"], ndcg["max"], ndcg["n"]) == pytest.approx((0.6, 0.5, 0.7, 3))
    assert summary["model"]["discovery_recall@20"]["n"] == 2
    assert summary["model"]["discovery_recall@20"]["mean"] == pytest.approx(0.12)
    assert report.cell(ndcg) == "0.6000 (0.5000–0.7000)"
    assert report.cell(summary["ease"]["ndcg@100"]) == "0.5000"  # the same in every seed
    assert report.cell(None) == "—"


def test_the_table_shows_the_ratios_to_ease_and_the_spread() -> None:
    summary = report.summarize([seed_run(0.55, 0.12), seed_run(0.65, 0.12)])
    mae = report.summarize([{"model": {"mae": 0.9}, "bias": {"mae": 0.95}}])
    text = report.report_tables(summary, mae, LABELS, {"model": "head", "bias": "bias"})
    header, _, model_row, ease_row, popularity_row = text.split("\n\n")[0].splitlines()
    assert "NDCG@100 ×EASE" in header and "discovery ×EASE" in header
    cells = [c.strip() for c in model_row.split("|")[1:-1]]
    assert cells[0] == "graft + network"
    assert cells[3] == "1.2000 (1.1000–1.3000)"  # NDCG@100 ×EASE
    assert cells[6] == "1.2000"  # discovery ×EASE, equal in both seeds
    assert ease_row.split("|")[4].strip() == "1.0000"
    assert popularity_row.split("|")[6].strip() == "0.0000"  # discovery Recall@20
    assert "| head | 0.9000 |" in text and "| bias | 0.9500 |" in text


def test_percentiles_in_milliseconds() -> None:
    p = percentiles([0.001] * 19 + [0.021])
    assert p["p50_ms"] == pytest.approx(1.0) and p["p95_ms"] == pytest.approx(2.0)


def test_the_timed_ease_call_ranks_like_x_times_b() -> None:
    weights = np.random.default_rng(0).normal(size=(30, 30)).astype(np.float32)
    entries = [ProfileEntry(100 + i, 0, "completed") for i in (3, 7, 11)]
    index = {100 + i: i for i in range(30)}
    x = np.zeros(30, np.float32)
    x[[3, 7, 11]] = 1.0
    expected = np.argsort(-np.where(x > 0, -np.inf, x @ weights), kind="stable")[:10]
    assert ease_call(weights, index, entries)().tolist() == expected.tolist()


def test_a_missing_or_empty_second_stage_leaves_no_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dataset = build_dataset(synthetic_profiles(20), DatasetOptions(min_item_users=2))
    monkeypatch.setitem(variants.OPTIONAL, "rerank", ("training.no_such_module", "make"))
    component, why = variants.optional_component("rerank", tmp_path, dataset)
    assert component is None and "not importable" in why
    monkeypatch.setitem(variants.OPTIONAL, "rerank", ("training.evaluation.report", "nothing"))
    assert variants.optional_component("rerank", tmp_path, dataset)[1].endswith("has no nothing")
