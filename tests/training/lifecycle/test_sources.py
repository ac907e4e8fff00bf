"""Training on several sources: merge by key, newest list per user, new titles enter."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from model.profile import ListFormatError
from training.data.database import read_database, read_only_url
from training.dataset import DatasetOptions
from training.sources import merge_sources, open_sources

from .samples import fetch, make_database, write_collected, write_sample

OLD, NEW = "2026-01-01T00:00:00+00:00", "2026-06-01T00:00:00+00:00"
OPTIONS = DatasetOptions(min_item_users=2, min_user_entries=3)


def db_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


def test_newest_list_per_user_across_collector_and_database(tmp_path: Path) -> None:
    collected = write_collected(
        tmp_path / "collected",
        [
            fetch("Alice", OLD, [(1, 5), (2, 5), (3, 5)]),
            fetch("alice", NEW, [(1, 9), (2, 9), (3, 9), (4, 9)]),  # newer fetch, same user
            fetch("bob", OLD, [(5, 7), (6, 7), (7, 7)]),
            fetch("bob", NEW, status=403),  # hidden since: left out
            fetch("carol", NEW, [(8, 6), (9, 6), (10, 6)]),
        ],
    )
    later = datetime(2026, 7, 1, tzinfo=UTC)
    earlier = datetime(2025, 1, 1, tzinfo=UTC)
    url = make_database(
        db_url(tmp_path / "bot.db"),
        [
            (11, "CAROL", "mal", later, [(8, 10), (9, 10), (10, 10), (11, 10)]),  # newer: wins
            (12, "alice", "mal", earlier, [(1, 1), (2, 1), (3, 1)]),  # older: loses
            (13, "dave", "anilist", None, [(12, 4), (13, 4), (14, 4)]),
            (14, "erin", "mal", later, []),  # nothing stored: no list
        ],
    )
    merged = merge_sources([str(collected), url])
    assert set(merged.profiles) == {"mal:alice", "mal:carol", "anilist:dave"}
    assert [e.score for e in merged.profiles["mal:alice"]] == [9, 9, 9, 9]
    assert [e.score for e in merged.profiles["mal:carol"]] == [10, 10, 10, 10]
    assert merged.origin["mal:carol"] == "database" and merged.updated["mal:carol"] == later
    assert merged.hidden == {"mal:bob"}
    # Order of --data does not change which copy is the newest.
    again = merge_sources([url, str(collected)])
    assert again.profiles == merged.profiles


def test_untimed_copies_lose_to_timed_ones_and_later_data_wins_ties(tmp_path: Path) -> None:
    xml = tmp_path / "exports"
    xml.mkdir()
    (xml / "alice.xml").write_text(
        "<myanimelist><myinfo><user_name>Alice</user_name></myinfo>"
        + "".join(
            f"<anime><series_animedb_id>{a}</series_animedb_id><my_score>2</my_score>"
            "<my_status>Completed</my_status></anime>"
            for a in (1, 2, 3)
        )
        + "</myanimelist>"
    )
    collected = write_collected(tmp_path / "c", [fetch("alice", OLD, [(1, 8), (2, 8), (3, 8)])])
    for order in ([str(xml), str(collected)], [str(collected), str(xml)]):
        merged = merge_sources(order)
        assert [e.score for e in merged.profiles["mal:alice"]] == [8, 8, 8]
    xml2 = tmp_path / "exports2"
    xml2.mkdir()
    (xml2 / "alice.xml").write_text((xml / "alice.xml").read_text().replace(">2<", ">6<"))
    merged = merge_sources([str(xml), str(xml2)])
    assert [e.score for e in merged.profiles["mal:alice"]] == [6, 6, 6]


def test_dataset_ids_stay_apart_and_new_titles_enter_the_corpus(tmp_path: Path) -> None:
    sample = write_sample(tmp_path / "anime-5k")
    new_title = 99001
    collected = write_collected(
        tmp_path / "collected",
        [fetch(f"user{i}", NEW, [(new_title, 8), (1, 7), (2, 6), (16, 9)]) for i in range(20)],
    )
    alone = open_sources([str(sample)], OPTIONS)
    assert new_title not in alone.corpus_ids
    merged = merge_sources([str(sample), str(collected)])
    assert sum(k.startswith("anime-5k:") for k in merged.profiles) == 60
    assert sum(k.startswith("mal:") for k in merged.profiles) == 20
    dataset, names = merged.dataset(OPTIONS)
    assert new_title in dataset.corpus_ids
    assert dataset.titles[list(dataset.corpus_ids).index(1)] == "Title 1, the show"
    assert dataset.titles[list(dataset.corpus_ids).index(new_title)] == f"anime {new_title}"
    assert len(names) == dataset.n_users and names == sorted(names)
    # With the bar above its users, the new title stays out: one rule decides.
    strict, _ = merged.dataset(DatasetOptions(min_item_users=40, min_user_entries=3))
    assert new_title not in strict.corpus_ids


def test_train_cli_merges_repeated_data(tmp_path: Path) -> None:
    from model.artifact import load_artifact
    from training.__main__ import main as cli

    sample = write_sample(tmp_path / "anime-5k")
    collected = write_collected(
        tmp_path / "collected",
        [fetch(f"user{i}", NEW, [(99001, 8), (1, 7), (2, 6), (16, 9)]) for i in range(20)],
    )
    out = tmp_path / "model"
    args = ["train", "--data", str(sample), "--data", str(collected), "--out", str(out)]
    flags = ["--min-item-users", "2", "--min-user-entries", "3", "--max-steps", "2", "--quiet"]
    assert cli([*args, *flags, "--checkpoint-dir", str(tmp_path / "ck")]) == 0
    assert 99001 in load_artifact(out).corpus_ids


def test_database_is_read_only_and_titles_come_along(tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    url = make_database(
        db_url(path),
        [(1, "zed", "import", None, [(5, 9), (6, 0)])],
        titles=[(5, "Five", "movie")],
    )
    before = path.read_bytes()
    lists, anime = read_database(url)
    assert [(s.key, [e.anime_id for e in s.entries]) for s in lists] == [("mal:zed", [5, 6])]
    assert anime[5] == ("Five", "movie")
    assert path.read_bytes() == before
    ro = read_only_url(url)
    assert ro.query.get("uri") == "true" and str(ro.database).endswith("?mode=ro")
    # What read_only_url opens refuses writes.
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        sqlite3.connect(str(ro.database), uri=True).execute("DELETE FROM list_entries")


def test_a_built_npz_cannot_be_merged(tmp_path: Path) -> None:
    with pytest.raises(ListFormatError, match="cannot be merged"):
        merge_sources([str(tmp_path / "a.npz"), str(tmp_path / "b")])
