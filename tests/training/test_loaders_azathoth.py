"""Training-data loaders: the azathoth42 CSV (``load_azathoth``)."""

from __future__ import annotations

import gzip
import logging
from pathlib import Path

import pytest

from model.profile import ListFormatError, ProfileEntry
from tests.training.loader_fixtures import (
    AZATHOTH_EXPECTED,
    AZATHOTH_HEADER,
    AZATHOTH_ROWS,
    azathoth_row,
    write_csv,
)
from training.data.azathoth import load_azathoth


@pytest.mark.parametrize("gz", [False, True])
def test_azathoth_reads_statuses_and_scores(tmp_path: Path, gz: bool) -> None:
    path = write_csv(tmp_path / "animelists_cleaned.csv", AZATHOTH_HEADER, AZATHOTH_ROWS, gz=gz)
    assert load_azathoth(path) == AZATHOTH_EXPECTED


def test_azathoth_column_order_bom_and_duplicates(tmp_path: Path) -> None:
    header = ["my_status", "my_score", "anime_id", "username"]
    rows = [[2, 5, 10, "a"], [1, 0, 11, "a"], [4, 3, 10, "a"]]
    path = tmp_path / "lists.csv"
    write_csv(path, header, rows)
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert load_azathoth(path) == {
        "a": [ProfileEntry(11, 0, "watching"), ProfileEntry(10, 3, "dropped")]
    }


def test_azathoth_shares_identical_entries(tmp_path: Path) -> None:
    rows = [azathoth_row(f"u{i}", 5, 7, 2) for i in range(3)]
    profiles = load_azathoth(write_csv(tmp_path / "a.csv", AZATHOTH_HEADER, rows))
    assert profiles["u0"][0] is profiles["u2"][0]


def test_azathoth_max_users(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "a.csv", AZATHOTH_HEADER, AZATHOTH_ROWS)
    assert list(load_azathoth(path, max_users=2)) == ["karthiga", "Xinil"]


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (azathoth_row("bob", 30, 5, 5), r"my_status must be 1 \(watching\).*got 5"),
        (azathoth_row("bob", 30, 5, 5, tags="x,\ny\nz"), "my_status must be 1"),
        (azathoth_row("bob", 30, 5, 0), "my_status must be 1"),
        (azathoth_row("bob", 30, 5, "Completed"), "my_status must be an integer"),
        (azathoth_row("bob", 30, 11, 2), r"my_score must be 0-10, got 11"),
        (azathoth_row("bob", 30, "7.5", 2), "my_score must be an integer"),
        (azathoth_row("bob", "x", 7, 2), "anime_id must be an integer"),
        (azathoth_row("bob", 0, 7, 2), "anime_id must be >= 1"),
        (azathoth_row(" ", 30, 7, 2), "empty username"),
        (["bob", 30], "expected 11 fields, got 2"),
    ],
)
def test_azathoth_bad_rows_name_file_and_line(tmp_path: Path, row: list, message: str) -> None:
    # header, then rows on lines 2, 3, 4-5 (a quoted newline), 6, 7, 8: the bad row starts on 9
    path = write_csv(tmp_path / "a.csv", AZATHOTH_HEADER, [*AZATHOTH_ROWS, row])
    with pytest.raises(ListFormatError, match=message) as info:
        load_azathoth(path)
    assert info.value.source == str(path)
    assert info.value.line == 9


def test_azathoth_skip_mode_logs(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    rows = [*AZATHOTH_ROWS, azathoth_row("bob", 30, 5, 5), azathoth_row("bob", 31, 5, 2)]
    path = write_csv(tmp_path / "a.csv", AZATHOTH_HEADER, rows)
    with caplog.at_level(logging.WARNING):
        profiles = load_azathoth(path, errors="skip")
    assert profiles["bob"] == [ProfileEntry(31, 5, "completed")]
    assert "skipped 1 malformed row" in caplog.text


def test_azathoth_missing_columns_and_empty(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "a.csv", ["username", "anime_id", "my_score"], [["a", 1, 2]])
    with pytest.raises(ListFormatError, match=r"line 1: missing column\(s\) my_status"):
        load_azathoth(path)
    (tmp_path / "e.csv").write_bytes(b"")
    with pytest.raises(ListFormatError, match="empty file"):
        load_azathoth(tmp_path / "e.csv")
    with pytest.raises(ListFormatError, match="cannot open"):
        load_azathoth(tmp_path / "absent.csv")


def test_azathoth_truncated_gzip(tmp_path: Path) -> None:
    rows = [azathoth_row(f"user{i}", i + 1, i % 11, 2) for i in range(3000)]
    packed = gzip.compress(write_csv(tmp_path / "a.csv", AZATHOTH_HEADER, rows).read_bytes())
    (tmp_path / "cut.csv.gz").write_bytes(packed[: len(packed) // 2])
    with pytest.raises(ListFormatError, match=r"cut\.csv\.gz, line \d+: read error"):
        load_azathoth(tmp_path / "cut.csv.gz")
