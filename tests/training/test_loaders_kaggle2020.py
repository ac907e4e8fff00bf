"""Training-data loaders (issue #10): the Kaggle 2020 dataset, whole-header detection,
folders of mixed files."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from model.profile import ListFormatError, ProfileEntry
from tests.training.loader_fixtures import (
    export,
    page,
    write_csv,
)
from training.data import detect_format, load_profiles, read_profiles

ANIMELIST_2020 = ["user_id", "anime_id", "score", "watching_status", "watched_episodes"]
ROWS_2020 = [[0, 67, 9, 1, 1], [0, 6702, 7, 2, 4], [0, 242, 0, 4, 2], [1, 21, 0, 6, 0]]
EXPECTED_2020 = {
    "0": [
        ProfileEntry(67, 9, "watching"),
        ProfileEntry(6702, 7, "completed"),
        ProfileEntry(242, 0, "dropped"),
    ],
    "1": [ProfileEntry(21, 0, "plan_to_watch")],
}


def kaggle_2020_download(root: Path) -> Path:
    """A folder laid out like the Kaggle 2020 download (generated, small)."""
    root.mkdir()
    write_csv(root / "animelist.csv", ANIMELIST_2020, ROWS_2020)
    write_csv(root / "rating_complete.csv", ["user_id", "anime_id", "rating"], [[0, 6702, 7]])
    write_csv(root / "anime.csv", ["MAL_ID", "Name", "Score"], [[67, "x", "8.1"]])
    write_csv(root / "watching_status.csv", ["status", " description"], [[1, "Watching"]])
    return root


def test_kaggle_2020_animelist_and_rating_complete(tmp_path: Path) -> None:
    folder = kaggle_2020_download(tmp_path / "k2020")
    assert detect_format(folder / "animelist.csv") == "kaggle-2020"
    assert load_profiles(folder / "animelist.csv") == EXPECTED_2020
    assert load_profiles(folder / "rating_complete.csv") == {
        "0": [ProfileEntry(6702, 7, "completed")]
    }
    gz = tmp_path / "animelist.csv.gz"
    gz.write_bytes(gzip.compress((folder / "animelist.csv").read_bytes()))
    assert load_profiles(gz) == EXPECTED_2020
    profiles, report = read_profiles(folder)
    assert profiles == EXPECTED_2020
    assert [(Path(f.path).name, f.format, f.skipped is None) for f in report.files] == [
        ("anime.csv", None, False),
        ("animelist.csv", "kaggle-2020", True),
        ("rating_complete.csv", "kaggle-2020", False),
        ("watching_status.csv", None, False),
    ]
    assert "subset of animelist.csv" in report.files[2].line()


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ([0, 67, 9, 5, 1], "watching_status must be 1 .*got 5"),
        ([0, 67, 11, 1, 1], "score must be 0-10, got 11"),
        ([0, 67, 9, 1], r"expected 5 fields \(Kaggle 2020 animelist.csv\), got 4"),
    ],
)
def test_kaggle_2020_bad_rows_name_file_and_line(tmp_path: Path, row: list, message: str) -> None:
    path = tmp_path / "animelist.csv"
    write_csv(path, ANIMELIST_2020, [*ROWS_2020, row])
    with pytest.raises(ListFormatError, match=f"animelist.csv, line 6: {message}"):
        load_profiles(path)


def test_detection_reads_the_whole_header(tmp_path: Path) -> None:
    longer = tmp_path / "ratings_plus.csv"
    write_csv(longer, ["user_id", "anime_id", "rating", "extra"], [[1, 2, 3, 4]])
    with pytest.raises(ListFormatError, match="unknown list format"):
        detect_format(longer)
    plain = tmp_path / "rating.csv"
    write_csv(plain, ["user_id", "anime_id", "rating"], [[1, 2, 3]])
    assert detect_format(plain) == "kaggle"


def test_mixed_folder_reads_every_file_and_reports_each(tmp_path: Path) -> None:
    folder = tmp_path / "mixed"
    folder.mkdir()
    write_csv(folder / "rating.csv", ["user_id", "anime_id", "rating"], [[1, 20, 8]])
    (folder / "alice.xml").write_bytes(export("alice", (1, "A", 9, "Completed")))
    (folder / "bob.xml").write_bytes(b"<myanimelist><anime>broken")
    (folder / "alice.json").write_text(json.dumps(page((2, "completed", 5))))
    (folder / "notes.txt").write_text("hello")
    profiles, report = read_profiles(folder)
    # no precedence of the CSV: every readable file is read; ids of a dataset are namespaced
    assert profiles == {
        "alice": [ProfileEntry(2, 5, "completed")],  # alice.json comes first in name order
        "rating.csv:1": [ProfileEntry(20, 8)],
    }
    lines = {Path(f.path).name: f.line() for f in report.files}
    assert lines["alice.xml"].endswith("1 users already read from another file")
    assert lines["bob.xml"].startswith("skipped bob.xml: unreadable: ")
    assert "line 1" in lines["bob.xml"]
    assert lines["notes.txt"] == "skipped notes.txt: not a list file of a known format"
    assert lines["rating.csv"] == "read rating.csv (kaggle): 1 users, 1 entries"
    summary = report.summary()
    assert summary.splitlines()[0].endswith("read 3 of 5 files, 2 users")
    assert json.loads(json.dumps(report.to_json()))["files"][1]["path"].endswith("alice.xml")
    assert load_profiles(folder) == profiles


def test_a_folder_where_nothing_reads_says_why(tmp_path: Path) -> None:
    (tmp_path / "bob.xml").write_bytes(b"<myanimelist><anime>broken")
    with pytest.raises(
        ListFormatError, match=r"no file could be read; skipped bob.xml: unreadable"
    ):
        load_profiles(tmp_path)
