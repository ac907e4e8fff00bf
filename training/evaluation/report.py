"""The evaluation report: ratios to EASE, the spread over seeds, and the Markdown tables.

Each evaluated artifact (one per seed) gives per row key a dict of measures; the baselines'
rows are the same in every seed. Ratios to EASE are taken per seed, then every measure is
summarized over the seeds as mean, min and max (the table shows ``mean (min–max)``; one value
when every seed agrees or there is one seed).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

Rows = dict[str, dict[str, float]]
Summary = dict[str, dict[str, dict[str, float]]]

RATIOS = ("ndcg@100", "recall@20", "discovery_recall@20")
"""Measures also reported as a ratio to EASE's (``<measure>/ease``)."""

MAIN = (
    ("recall@20", "Recall@20"),
    ("ndcg@100", "NDCG@100"),
    ("ndcg@100/ease", "NDCG@100 ×EASE"),
    ("recall@20/ease", "Recall@20 ×EASE"),
    ("discovery_recall@20", "discovery Recall@20"),
    ("discovery_recall@20/ease", "discovery ×EASE"),
    ("franchise_share@20", "franchise share@20"),
)
MORE = (
    ("recall@50", "Recall@50"),
    ("franchise_hits@20", "franchise hits@20"),
    ("other_hits@20", "other hits@20"),
    ("popularity_percentile@20", "popularity pct@20"),
    ("coverage@20", "coverage@20"),
)


def with_ratios(rows: Rows, reference: str = "ease") -> Rows:
    """``rows`` plus ``<measure>/<reference>`` for each of :data:`RATIOS` both rows have."""
    base = rows.get(reference, {})
    out = {}
    for key, row in rows.items():
        extra = {
            f"{m}/{reference}": row[m] / base[m]
            for m in RATIOS
            if m in row and m in base and base[m] > 0
        }
        out[key] = {**row, **extra}
    return out


def summarize(runs: Sequence[Mapping[str, Mapping[str, float]]]) -> Summary:
    """Per row and measure, mean/min/max/n over the runs that have it (NaNs left out)."""
    values: dict[str, dict[str, list[float]]] = {}
    for run in runs:
        for key, row in run.items():
            for measure, value in row.items():
                if value == value:  # NaN: nothing to measure in this run
                    values.setdefault(key, {}).setdefault(measure, []).append(float(value))
    return {
        key: {
            m: {"mean": float(np.mean(v)), "min": min(v), "max": max(v), "n": float(len(v))}
            for m, v in measures.items()
        }
        for key, measures in values.items()
    }


def cell(stats: Mapping[str, float] | None, digits: int = 4) -> str:
    """``mean (min–max)``, one value when the runs agree, "—" when not measured."""
    if stats is None:
        return "—"
    mean = f"{stats['mean']:.{digits}f}"
    if stats["n"] < 2 or f"{stats['min']:.{digits}f}" == f"{stats['max']:.{digits}f}":
        return mean
    return f"{mean} ({stats['min']:.{digits}f}–{stats['max']:.{digits}f})"


def table(
    summary: Summary,
    columns: Sequence[tuple[str, str]],
    labels: Mapping[str, str],
    first: str = "scorer",
) -> str:
    """A Markdown table: one row per key of ``labels`` present in ``summary``."""
    lines = [
        f"| {first} | " + " | ".join(title for _, title in columns) + " |",
        "|" + "---|" * (len(columns) + 1),
    ]
    for key, label in labels.items():
        if key in summary:
            row = summary[key]
            lines.append(f"| {label} | " + " | ".join(cell(row.get(c)) for c, _ in columns) + " |")
    return "\n".join(lines)


def report_tables(
    ranking: Summary, mae: Summary, labels: Mapping[str, str], mae_labels: Mapping[str, str]
) -> str:
    """The ranking table (with the ratios to EASE), the secondary measures and the MAE table."""
    return "\n\n".join(
        [
            table(ranking, MAIN, labels),
            table(ranking, MORE, labels),
            table(mae, (("mae", "rating MAE (1–10)"),), mae_labels, first="rating predictor"),
        ]
    )
