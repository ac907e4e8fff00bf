"""Training-data loaders: the collector's JSONL output (``load_collected``)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from model.profile import ListFormatError, ProfileEntry
from tests.training.loader_fixtures import (
    entry,
    fetch,
    write_jsonl,
)
from training.data.collected import load_collected


def test_collected_keeps_latest_200_per_user(tmp_path: Path) -> None:
    root = tmp_path / "collected"
    root.mkdir()
    write_jsonl(
        root / "part-0001.jsonl.gz",
        [
            fetch("alice", 200, "2026-01-02T00:00:00+00:00", [entry(1, score=7)]),
            fetch("bob", 403, "2026-01-02T00:00:00Z"),
            fetch("carol", 404, "2026-01-02T00:00:00Z"),
            fetch("dave", 200, "2026-01-05T00:00:00+00:00", [entry(9, "dropped")]),
            fetch("erin", 200, "2026-01-01T00:00:00+00:00", [entry(4)]),
        ],
    )
    write_jsonl(
        root / "part-0002.jsonl.gz",
        [
            "",
            # newer fetch replaces the list; case-insensitive on the username
            fetch("Alice", 200, "2026-01-03T00:00:00+00:00", [entry(2, "watching", 9)]),
            # bob went public later
            fetch("bob", 200, "2026-01-03T00:00:00", [entry(3, "plan_to_watch")]),
            # an older fetch of dave (re-run) does not replace the newer one
            fetch("dave", 200, "2026-01-04T23:00:00-02:00", [entry(10)]),
            # erin made her list private since: she is left out
            fetch("erin", 403, "2026-02-01T00:00:00+00:00"),
        ],
    )
    assert load_collected(root) == {
        "Alice": [ProfileEntry(2, 9, "watching")],
        "bob": [ProfileEntry(3, 0, "plan_to_watch")],
        "dave": [ProfileEntry(10, 0, "completed")],  # 2026-01-05T01:00Z is later
    }


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ("{not json", "invalid JSON"),
        ("[1, 2]", "expected a JSON object"),
        (fetch("x", 200, "yesterday"), "'fetched_at' is not ISO-8601"),
        ({"username": "x", "fetched_at": "2026-01-01"}, "missing 'http_status'"),
        (fetch("x", "200", "2026-01-01"), "'http_status' has the wrong type"),
        ({"username": "x", "http_status": 200, "fetched_at": "2026-01-01"}, "missing 'entries'"),
        (fetch("x", 200, "2026-01-01", [entry(1, "Completed")]), r"entries\[0\]: unknown status"),
        (fetch("x", 200, "2026-01-01", [{**entry(1), "score": "5"}]), r"entries\[0\]: 'score'"),
        (fetch("x", 200, "2026-01-01", [{**entry(1), "score": 11}]), "score must be 0-10"),
        (fetch("x", 200, "2026-01-01", [{**entry(1), "anime_id": True}]), "'anime_id' has"),
        (fetch("", 200, "2026-01-01"), "empty 'username'"),
    ],
)
def test_collected_bad_lines(tmp_path: Path, record: object, message: str) -> None:
    path = write_jsonl(tmp_path / "c.jsonl.gz", [fetch("ok", 200, "2026-01-01"), record])
    with pytest.raises(ListFormatError, match=message) as info:
        load_collected(tmp_path)
    assert (info.value.source, info.value.line) == (str(path), 2)
    assert load_collected(tmp_path, errors="skip") == {"ok": []}


def test_collected_truncated_gzip(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    records = [fetch(f"u{i}", 200, "2026-01-01", [entry(i + 1)]) for i in range(2000)]
    packed = write_jsonl(tmp_path / "c.jsonl.gz", records).read_bytes()
    (tmp_path / "c.jsonl.gz").write_bytes(packed[: len(packed) - 100])
    with pytest.raises(ListFormatError, match="was the collector interrupted"):
        load_collected(tmp_path)
    with caplog.at_level(logging.WARNING):
        kept = load_collected(tmp_path, errors="skip")
    assert 0 < len(kept) < 2000
    assert "interrupted" in caplog.text
