"""``python -m training bench-readers`` at a tiny size: its generated files read as intended."""

from __future__ import annotations

from pathlib import Path

from model.listformats import EXPORT_BYTES_PER_ENTRY, read_import
from training.bench.readers import format_table, run_readers_bench, write_dataset, write_export
from training.data.azathoth import load_azathoth
from training.data.kaggle2020 import load_kaggle2020


def test_generated_export_is_todays_layout(tmp_path: Path) -> None:
    path = tmp_path / "animelist.xml.gz"
    info = write_export(path, 300)
    parsed = read_import(path.read_bytes(), str(path))
    assert (len(parsed.entries), parsed.username, parsed.format) == (300, "bench", "mal_export_xml")
    assert abs(info["bytes_uncompressed"] / 300 - EXPORT_BYTES_PER_ENTRY) < 40


def test_generated_datasets_read_with_their_loaders(tmp_path: Path) -> None:
    info = write_dataset(tmp_path / "animelist.csv", "kaggle2020", 200_000)
    profiles, skipped = load_kaggle2020(tmp_path / "animelist.csv")
    assert (len(profiles), skipped) == (info["users"], 0)
    info = write_dataset(tmp_path / "animelists_cleaned.csv", "azathoth", 200_000)
    assert len(load_azathoth(tmp_path / "animelists_cleaned.csv")) == info["users"]


def test_bench_runs_children_and_reports_peaks(tmp_path: Path) -> None:
    result = run_readers_bench(
        tmp_path, export_sizes=(30_001,), layouts=("kaggle2020",), dataset_bytes=100_000
    )
    refused, dataset = result["rows"]
    assert refused["outcome"].startswith("refused at entry 30,001")
    assert dataset["entries"] > 0
    for row in result["rows"]:
        assert row["maxrss_kib"] >= result["baseline"][row["reader"]]["maxrss_kib"] > 0
    assert "| animelist.csv (kaggle2020) |" in format_table(result)
    assert not list(tmp_path.iterdir())  # generated files are deleted
