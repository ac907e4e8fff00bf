"""``python -m model read-list``: one list file read as ``/import`` reads it."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from model.__main__ import main
from model.listformats import DEFAULT_MAX_ENTRIES, MAX_UPLOAD_BYTES


def anime(anime_id: int, title: str, score: int, status: str) -> str:
    return (
        f"\t<anime>\n\t\t<series_animedb_id>{anime_id}</series_animedb_id>\n"
        f"\t\t<series_title><![CDATA[{title}]]></series_title>\n"
        f"\t\t<my_score>{score}</my_score>\n\t\t<my_status>{status}</my_status>\n\t</anime>\n"
    )


def export(*records: str, owner: str | None = "alice", owner_tag: str = "user_name") -> bytes:
    info = f"\t<myinfo><{owner_tag}>{owner}</{owner_tag}></myinfo>\n" if owner else ""
    body = "".join(records)
    head = '<?xml version="1.0" encoding="UTF-8" ?>\n<myanimelist>\n'
    return f"{head}{info}{body}</myanimelist>\n".encode()


GOOD = export(
    anime(1, "Cowboy Bebop", 9, "Completed"),
    anime(5, "Trigun", 0, "Watching"),
    anime(30, "Evangelion", 7, "Dropped"),
    anime(44, "Ghost in the Shell", 0, "Plan to Watch"),
)
GOOD_ENTRIES = [
    {"anime_id": 1, "score": 9, "status": "completed"},
    {"anime_id": 5, "score": 0, "status": "watching"},
    {"anime_id": 30, "score": 7, "status": "dropped"},
    {"anime_id": 44, "score": 0, "status": "plan_to_watch"},
]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["read-list", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def write(tmp_path: Path, name: str, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def test_good_export_as_text(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, write(tmp_path, "animelist.xml", GOOD))
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert "format: MAL export XML" in lines
    assert "owner: alice" in lines
    assert "entries: 4" in lines
    assert "skipped: 0" in lines
    assert not [line for line in lines if line.startswith("note:")]


def test_good_export_as_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, write(tmp_path, "animelist.xml", GOOD), "--json")
    assert code == 0
    got = json.loads(out)
    assert got == {
        "format": "mal_export_xml",
        "gzip": False,
        "user": "alice",
        "entries": GOOD_ENTRIES,
        "skipped": [],
    }


def test_gzip_export(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "animelist_1700000000_-_42.xml.gz", gzip.compress(GOOD))
    code, out, _ = run(capsys, path, "--json")
    assert code == 0
    got = json.loads(out)
    assert (got["format"], got["gzip"], got["entries"]) == ("mal_export_xml", True, GOOD_ENTRIES)
    code, out, _ = run(capsys, path)
    assert "format: MAL export XML (gzip)" in out.splitlines()


def test_entries_without_a_mal_id_are_listed_as_skipped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = export(
        anime(1, "Cowboy Bebop", 9, "Completed"),
        anime(0, "Fan Translation Special", 8, "Completed"),
        anime(0, "Unlisted OVA", 0, "Plan to Watch"),
        anime(1, "Cowboy Bebop", 10, "Completed"),  # conflicting duplicate: the later one wins
        owner="bob",
        owner_tag="username",
    )
    path = write(tmp_path, "converted.xml", data)
    code, out, _ = run(capsys, path, "--json")
    assert code == 0
    got = json.loads(out)
    assert got["user"] == "bob"
    assert got["entries"] == [{"anime_id": 1, "score": 10, "status": "completed"}]
    reasons = [(s["reason"], s["anime_id"], s["title"]) for s in got["skipped"]]
    assert reasons == [
        ("no_mal_id", None, "Fan Translation Special"),
        ("no_mal_id", None, "Unlisted OVA"),
        ("duplicate", 1, "Cowboy Bebop"),
    ]
    assert all(isinstance(s["line"], int) for s in got["skipped"])
    code, out, _ = run(capsys, path)
    assert "skipped: 3" in out
    assert "note: Skipped 2 entries without a MyAnimeList id." in out.splitlines()


def test_api_json_page(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    page = {
        "data": [
            {
                "node": {"id": 1, "title": "Cowboy Bebop"},
                "list_status": {"status": "completed", "score": 9},
            },
            {"node": {"id": 5, "title": "Trigun"}},
        ]
    }
    code, out, _ = run(capsys, write(tmp_path, "page.json", json.dumps(page).encode()), "--json")
    assert code == 0
    got = json.loads(out)
    assert (got["format"], got["user"]) == ("mal_api_json", None)
    assert got["entries"] == [
        {"anime_id": 1, "score": 9, "status": "completed"},
        {"anime_id": 5, "score": 0, "status": "completed"},
    ]


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        (b"user_id,anime_id,rating\n1,2,3\n", "unrecognised list file"),
        (
            GOOD.replace(b"<my_score>9</my_score>", b"<my_score>eleven</my_score>"),
            "line 7: <my_score> must be an integer",
        ),
        (export(), "no anime entries"),
        (export(anime(0, "Nothing Known", 5, "Completed")), "none of its 1 entries"),
    ],
)
def test_refused_file_is_one_sentence_with_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], data: bytes, needle: str
) -> None:
    path = write(tmp_path, "refused.xml", data)
    code, out, err = run(capsys, path, "--json")
    assert (code, out) == (2, "")
    assert needle in err
    assert path in err
    assert len(err.strip().splitlines()) == 1


def test_limits_name_the_one_hit(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    big = export(*(anime(i, "T", 0, "Completed") for i in range(1, DEFAULT_MAX_ENTRIES + 2)))
    code, _, err = run(capsys, write(tmp_path, "big.xml.gz", gzip.compress(big)))
    assert code == 2
    assert "(entries limit)" in err
    assert f"more than {DEFAULT_MAX_ENTRIES:,} entries" in err
    code, _, err = run(capsys, write(tmp_path, "huge.xml", b" " * (MAX_UPLOAD_BYTES + 1)))
    assert code == 2
    assert "(upload limit)" in err


def test_missing_file_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, str(tmp_path / "nope.xml"))
    assert (code, out) == (1, "")
    assert "cannot read the file" in err
    code, _, _ = run(capsys, str(tmp_path))  # a directory
    assert code == 1
