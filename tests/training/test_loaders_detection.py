"""Training-data loaders: ``load_profiles`` format detection over every format."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from model.profile import ListFormatError, ProfileEntry
from tests.training.loader_fixtures import (
    AZATHOTH_EXPECTED,
    AZATHOTH_HEADER,
    AZATHOTH_ROWS,
    entry,
    export,
    fetch,
    page,
    write_csv,
    write_jsonl,
)
from training.data import detect_format, index_users, load_profiles


def make_all_formats(root: Path) -> dict[str, Path]:
    paths = {}
    kaggle = root / "kaggle"
    kaggle.mkdir()
    write_csv(
        kaggle / "rating.csv",
        ["user_id", "anime_id", "rating"],
        [[1, 20, 8], [1, 21, -1], [2, 20, 5]],
    )
    paths["kaggle"] = kaggle
    aza = root / "aza"
    aza.mkdir()
    write_csv(aza / "animelists-with-status.csv", AZATHOTH_HEADER, AZATHOTH_ROWS)
    write_csv(aza / "anime.csv", ["id", "title"], [[1, "x"]])
    paths["azathoth"] = aza
    xml = root / "xml"
    xml.mkdir()
    (xml / "alice.xml.gz").write_bytes(gzip.compress(export("alice", (1, "A", 9, "Completed"))))
    paths["mal-xml"] = xml
    js = root / "json"
    js.mkdir()
    (js / "alice.json").write_text(json.dumps(page((1, "completed", 9))))
    paths["mal-json"] = js
    col = root / "col"
    col.mkdir()
    write_jsonl(col / "a.jsonl.gz", [fetch("alice", 200, "2026-01-01", [entry(1, score=9)])])
    paths["collected"] = col
    return paths


def test_load_profiles_detects_every_format(tmp_path: Path) -> None:
    paths = make_all_formats(tmp_path)
    for fmt, path in paths.items():
        assert detect_format(path) == fmt
    assert load_profiles(paths["kaggle"]) == {
        "1": [ProfileEntry(20, 8), ProfileEntry(21, 0)],
        "2": [ProfileEntry(20, 5)],
    }
    assert load_profiles(paths["azathoth"]) == AZATHOTH_EXPECTED
    alice = {"alice": [ProfileEntry(1, 9, "completed")]}
    for fmt in ("mal-xml", "mal-json", "collected"):
        assert load_profiles(paths[fmt]) == alice
        assert load_profiles(paths[fmt], format=fmt) == alice


def test_detection_of_single_files_by_content(tmp_path: Path) -> None:
    paths = make_all_formats(tmp_path)
    odd = tmp_path / "odd"
    odd.mkdir()
    cases = {
        "kaggle": (paths["kaggle"] / "rating.csv").read_bytes(),
        "azathoth": gzip.compress((paths["azathoth"] / "animelists-with-status.csv").read_bytes()),
        "mal-xml": export("alice", (1, "A", 9, "Completed")),
        "mal-json": json.dumps(page((1, "completed", 9)), indent=2).encode(),
        "collected": gzip.compress((json.dumps(fetch("a", 404, "2026-01-01")) + "\n").encode()),
    }
    for fmt, data in cases.items():
        (odd / f"{fmt}.dat").write_bytes(data)
        assert detect_format(odd / f"{fmt}.dat") == fmt
    assert load_profiles(odd / "mal-xml.dat") == {"alice": [ProfileEntry(1, 9, "completed")]}


def test_detection_errors(tmp_path: Path) -> None:
    with pytest.raises(ListFormatError, match="no such file"):
        load_profiles(tmp_path / "absent")
    (tmp_path / "x.csv").write_text("a,b,c\n1,2,3\n")
    with pytest.raises(ListFormatError, match=r"x\.csv, line 1: unknown list format"):
        load_profiles(tmp_path / "x.csv")
    with pytest.raises(ListFormatError, match="no list data found"):
        load_profiles(tmp_path)
    (tmp_path / "a.xml").write_bytes(export("a"))
    (tmp_path / "b.json").write_text("{}")
    with pytest.raises(ListFormatError, match=r"several list formats \(mal-xml, mal-json\)"):
        detect_format(tmp_path)
    assert load_profiles(tmp_path) == {"a": []}  # b.json is unreadable: skipped, reported
    assert load_profiles(tmp_path, format="mal-xml") == {"a": []}
    with pytest.raises(ValueError, match="unknown format 'csv'"):
        load_profiles(tmp_path, format="csv")


def test_index_users() -> None:
    profiles = {"b": [ProfileEntry(1)], "a": [ProfileEntry(2, 3, "dropped")]}
    indexed, names = index_users(profiles)
    assert names == ["b", "a"]
    assert indexed == {0: [ProfileEntry(1)], 1: [ProfileEntry(2, 3, "dropped")]}
