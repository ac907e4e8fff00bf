"""``python -m model recommend`` on a tiny artifact."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from model import ProfileEntry, RecommendationQuery, Recommender
from model.catalog import Catalog, CatalogTitle
from model.cli import run_batches
from model.profile import ListFormatError

LINES = [
    {"user": "ann", "entries": [{"anime_id": 1001, "score": 8, "status": "completed"}]},
    {"user": 2, "entries": [], "targets": [1003, 42]},
    {
        "user": "cy",
        "entries": [
            {"anime_id": 1005, "score": 0, "status": "watching"},
            {"anime_id": 1007, "score": 3, "status": "dropped"},
            {"anime_id": 1009, "status": "plan_to_watch"},
            {"anime_id": 31337, "score": 9},
        ],
        "targets": [1009],
    },
]


def entries_of(line: dict) -> list[ProfileEntry]:
    return [
        ProfileEntry(e["anime_id"], e.get("score", 0), e.get("status")) for e in line["entries"]
    ]


def safe_catalog(path: Path, ids: range) -> Path:
    """A catalog file of ``ids``, every title known safe."""
    Catalog.from_titles(
        CatalogTitle(a, f"Anime {a}", type="tv", genres=("drama",), nsfw=False) for a in ids
    ).save(path)
    return path


def test_cli_end_to_end(tiny_model: Path, tmp_path: Path) -> None:
    catalog = safe_catalog(tmp_path / "catalog.npz", range(1000, 1040))
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join(json.dumps(x) for x in LINES) + "\n\n")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "model",
            "recommend",
            "--model",
            str(tiny_model),
            "--profiles",
            str(src),
            "--k",
            "5",
            "--batch-size",
            "2",
            "--catalog",
            str(catalog),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["user"] for r in rows] == ["ann", 2, "cy"]
    rec = Recommender.load(tiny_model, catalog=Catalog.load(catalog))
    for row, line in zip(rows, LINES, strict=True):
        expected = rec.recommend(entries_of(line), RecommendationQuery(5, explain=False))
        assert [r["anime_id"] for r in row["recommendations"]] == [e.anime_id for e in expected]
        for got, want in zip(row["recommendations"], expected, strict=True):
            assert set(got) == {
                "anime_id",
                "score",
                "presence",
                "predicted_score",
                "source",
                "reasons",
                "more",
            }
            assert (got["source"], got["reasons"], got["more"]) == (
                want.source,
                list(want.reasons),
                want.more,
            )
            assert got["score"] == pytest.approx(want.score, rel=1e-5)
            assert got["predicted_score"] == pytest.approx(want.predicted_score, abs=1e-3)
        assert ("targets" in row) == ("targets" in line)
    assert rows[1]["targets"][1] is None
    assert rows[1]["targets"][0]["anime_id"] == 1003
    want = rec.targets(entries_of(LINES[2]), [1009])[0]
    assert rows[2]["targets"][0]["presence"] == pytest.approx(want["presence"], rel=1e-5)
    assert 1009 not in [r["anime_id"] for r in rows[2]["recommendations"]]


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("{not json", "invalid JSON"),
        ('["a"]', "expected a JSON object"),
        ('{"user": 1}', '"entries" must be a list'),
        ('{"entries": [{"anime_id": "x"}]}', "entries[0]: anime_id must be an integer"),
        ('{"entries": [{"anime_id": 1, "score": 11}]}', "entries[0]: score must be 0-10"),
        ('{"entries": [{"anime_id": 1, "status": "binged"}]}', "unknown status"),
        ('{"entries": [], "targets": 5}', '"targets" must be a list'),
    ],
)
def test_bad_line_names_the_line(tiny_model: Path, bad: str, message: str) -> None:
    rec = Recommender.load(tiny_model)
    out = io.StringIO()
    lines = [json.dumps(LINES[0]), "", bad, json.dumps(LINES[1])]
    with pytest.raises(ListFormatError) as info:
        run_batches(
            rec, iter(lines), out, source="in.jsonl", query=RecommendationQuery(3), batch_size=10
        )
    assert info.value.line == 3
    assert str(info.value).startswith("in.jsonl, line 3: ")
    assert message in str(info.value)
    # Lines before the bad one were written.
    assert [json.loads(x)["user"] for x in out.getvalue().splitlines()] == ["ann"]


def test_cli_missing_model_is_clear(tmp_path: Path) -> None:
    from model.__main__ import main

    src = tmp_path / "in.jsonl"
    src.write_text("")
    assert main(["recommend", "--model", str(tmp_path / "none"), "--profiles", str(src)]) == 2
