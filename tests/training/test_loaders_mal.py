"""Training-data loaders: MAL API JSON pages and MAL export XML."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from model.profile import ListFormatError, ProfileEntry
from tests.training.loader_fixtures import (
    export,
    page,
)
from training.data.mal_json import load_mal_json
from training.data.mal_xml import load_mal_xml


def test_mal_json_files_folders_and_gzip(tmp_path: Path) -> None:
    root = tmp_path / "pages"
    root.mkdir()
    (root / "alice.json").write_text(json.dumps(page((1, "completed", 9), (2, "dropped", 0))))
    (root / "bob.json.gz").write_bytes(
        gzip.compress(json.dumps([page((3, "watching", 4))]).encode())
    )
    (root / "carol").mkdir()
    (root / "carol" / "1.json").write_text(json.dumps(page((4, "on_hold", 0), (5, "completed", 2))))
    (root / "carol" / "2.json").write_text(json.dumps(page((5, "completed", 8))))
    (root / "notes.txt").write_text("ignored")
    assert load_mal_json(root) == {
        "alice": [ProfileEntry(1, 9, "completed"), ProfileEntry(2, 0, "dropped")],
        "bob": [ProfileEntry(3, 4, "watching")],
        "carol": [ProfileEntry(4, 0, "on_hold"), ProfileEntry(5, 8, "completed")],
    }
    assert load_mal_json(root / "bob.json.gz") == {"bob": [ProfileEntry(3, 4, "watching")]}


def test_mal_json_errors_name_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{\n  "data": [\n    {"node": }\n  ]\n}')
    with pytest.raises(ListFormatError, match=r"bad\.json, line 3: invalid JSON"):
        load_mal_json(bad)
    bad.write_text(json.dumps({"data": [{"node": {"id": "5"}, "list_status": {}}]}))
    with pytest.raises(
        ListFormatError, match=r"bad\.json: page: data\[0\]\.node\.id: expected int"
    ):
        load_mal_json(bad)
    bad.write_bytes(b"\xff\xfe{}")
    with pytest.raises(ListFormatError, match="not UTF-8"):
        load_mal_json(bad)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ListFormatError, match=r"no .*json.* files"):
        load_mal_json(empty)


def test_mal_xml_directory(tmp_path: Path) -> None:
    root = tmp_path / "exports"
    root.mkdir()
    (root / "animelist_1.xml").write_bytes(export("alice", (1, "A & B <3", 9, "Completed")))
    (root / "bob.xml.gz").write_bytes(gzip.compress(export(None, (2, "Ψ", 0, "Plan to Watch"))))
    (root / "readme.md").write_text("ignored")
    assert load_mal_xml(root) == {
        "alice": [ProfileEntry(1, 9, "completed")],
        "bob": [ProfileEntry(2, 0, "plan_to_watch")],
    }


def test_mal_xml_errors(tmp_path: Path) -> None:
    root = tmp_path / "exports"
    root.mkdir()
    (root / "a.xml").write_bytes(export("alice", (1, "A", 9, "Completed")))
    (root / "b.xml").write_bytes(export("alice", (2, "B", 9, "Completed")))
    with pytest.raises(ListFormatError, match=r"b\.xml: user 'alice' was already loaded from"):
        load_mal_xml(root)
    (root / "b.xml").write_bytes(export("bob", (2, "B", 9, "Completed"), (3, "C", 12, "Completed")))
    with pytest.raises(ListFormatError, match=r"b\.xml, line 4: <my_score> must be 0-10, got 12"):
        load_mal_xml(root)
    big = tmp_path / "big.xml"
    big.write_bytes(export("x", *[(i, "t", 1, "Completed") for i in range(1, 200)]))
    with pytest.raises(ListFormatError, match="limit"):
        load_mal_xml(big, max_bytes=1000)
    assert len(load_mal_xml(big)["x"]) == 199
