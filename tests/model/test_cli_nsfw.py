"""NSFW through ``python -m model recommend`` and ``python -m model catalog`` (issue #11).

A tiny artifact (corpus 1000–1039) with a catalog where some corpus titles are NSFW or of unknown
status, plus titles outside the corpus of every status. Without ``--allow-nsfw`` nothing but
known-safe titles comes back, also for a profile of only entries the network does not know.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from model.catalog import Catalog, CatalogTitle, Relation

NSFW_CORPUS = {1001: True, 1002: None, 1005: True, 1006: None}  # the rest of 1000–1039 is safe
OUTSIDE = {5000: False, 5001: True, 5002: None, 5003: False, 5004: True, 5005: None}
UNKNOWN_LIST = [9000, 9001]  # in the catalog, not in the corpus, on the profile below


@pytest.fixture
def catalog_file(tmp_path: Path) -> Path:
    titles = [
        CatalogTitle(a, f"Anime {a}", type="tv", genres=("drama",), nsfw=NSFW_CORPUS.get(a, False))
        for a in range(1000, 1040)
    ]
    titles += [
        CatalogTitle(a, f"Outside {a}", type="tv", genres=("drama", "action"), nsfw=flag)
        for a, flag in OUTSIDE.items()
    ]
    titles += [
        CatalogTitle(a, f"Listed {a}", type="tv", genres=("drama", "action"), nsfw=False)
        for a in UNKNOWN_LIST
    ]
    # relations from the listed titles to unsafe ones: the strongest pull the side channel has
    relations = {
        9000: [Relation(5001, "sequel", True), Relation(5002, "sequel", True)],
        5001: [Relation(9000, "prequel", True)],
        5002: [Relation(9000, "prequel", True)],
        9001: [Relation(1001, "sequel", True), Relation(5004, "related", True)],
        1001: [Relation(9001, "prequel", True)],
        5004: [Relation(9001, "related", True)],
    }
    path = tmp_path / "catalog.npz"
    Catalog.from_titles(titles, relations).save(path)
    return path


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "model", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _recommend(model: Path, catalog: Path, tmp_path: Path, *flags: str) -> list[list[int]]:
    profiles = [
        {"user": "unknown-only", "entries": [{"anime_id": a, "score": 10} for a in UNKNOWN_LIST]},
        {"user": "empty", "entries": []},
        {"user": "known", "entries": [{"anime_id": 1003, "score": 9}]},
    ]
    src = tmp_path / "profiles.jsonl"
    src.write_text("".join(json.dumps(p) + "\n" for p in profiles))
    result = _run(
        "recommend", "--model", str(model), "--profiles", str(src), "--k", "60",
        "--catalog", str(catalog), *flags,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return [[r["anime_id"] for r in json.loads(line)["recommendations"]] for line in
            result.stdout.splitlines()]  # fmt: skip


def test_no_nsfw_or_unknown_title_without_allow_nsfw(
    tiny_model: Path, catalog_file: Path, tmp_path: Path
) -> None:
    unsafe = {a for a, f in {**NSFW_CORPUS, **OUTSIDE}.items() if f is not False}
    for ids in _recommend(tiny_model, catalog_file, tmp_path):
        assert ids, "every profile gets recommendations"
        assert not unsafe & set(ids)


def test_allow_nsfw_lets_them_through(tiny_model: Path, catalog_file: Path, tmp_path: Path) -> None:
    unknown_only, *_ = _recommend(tiny_model, catalog_file, tmp_path, "--allow-nsfw")
    # the sequels of a title scored 10 (one franchise: grouped on one line)
    assert {5001, 5002} & set(unknown_only)
    assert {1001, 1002, 1005, 1006, 5004, 5005} & set(unknown_only)


def test_catalog_command_lists_what_recommend_can_return(
    tiny_model: Path, catalog_file: Path
) -> None:
    every = _run("catalog", "--model", str(tiny_model), "--catalog", str(catalog_file))
    assert every.returncode == 0, every.stderr
    ids = [int(x) for x in every.stdout.split()]
    assert ids == sorted([*range(1000, 1040), *OUTSIDE, *UNKNOWN_LIST])
    safe = _run(
        "catalog", "--model", str(tiny_model), "--catalog", str(catalog_file), "--safe-only"
    )
    unsafe = {a for a, f in {**NSFW_CORPUS, **OUTSIDE}.items() if f is not False}
    assert [int(x) for x in safe.stdout.split()] == [a for a in ids if a not in unsafe]
    corpus = _run("catalog", "--model", str(tiny_model), "--no-catalog")
    assert [int(x) for x in corpus.stdout.split()] == list(range(1000, 1040))


def test_catalog_command_refuses_a_broken_catalog(tiny_model: Path, tmp_path: Path) -> None:
    (tmp_path / "bad.npz").write_bytes(b"junk")
    result = _run("catalog", "--model", str(tiny_model), "--catalog", str(tmp_path / "bad.npz"))
    assert result.returncode == 2
    assert "not a readable catalog file" in result.stderr
    assert "Traceback" not in result.stderr
