"""Training-data loaders: azathoth42 CSV, MAL JSON pages, MAL export XML, collector JSONL,
and ``load_profiles`` format detection, from small fixtures built here."""

from __future__ import annotations

import csv
import gzip
import io
import json
import logging
from pathlib import Path

import pytest

from model.profile import ListFormatError, ProfileEntry
from training.data import detect_format, index_users, load_profiles, read_profiles
from training.data.azathoth import load_azathoth
from training.data.collected import load_collected
from training.data.mal_json import load_mal_json
from training.data.mal_xml import load_mal_xml

AZATHOTH_HEADER = [
    "username",
    "anime_id",
    "my_watched_episodes",
    "my_start_date",
    "my_finish_date",
    "my_score",
    "my_status",
    "my_rewatching",
    "my_rewatching_ep",
    "my_last_updated",
    "my_tags",
]


def azathoth_row(
    user: str, anime_id: object, score: object, status: object, tags: str = ""
) -> list:
    return [
        user,
        anime_id,
        12,
        "0000-00-00",
        "0000-00-00",
        score,
        status,
        "",
        0,
        "2013-03-03",
        tags,
    ]


def write_csv(path: Path, header: list[str], rows: list[list], *, gz: bool = False) -> Path:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    data = buffer.getvalue().encode()
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


AZATHOTH_ROWS = [
    azathoth_row("karthiga", 21, 9, 1),
    azathoth_row("karthiga", 59, 7, 2, tags="action, adventure"),
    azathoth_row("Xinil", 120, 0, 3, tags="HEADER,\nmulti-line"),
    azathoth_row("Xinil", 269, 0, 4),
    azathoth_row("Xinil", 1571, 8, 6),
    azathoth_row("Ünïcode_名前", 1, 10, 2),
]
AZATHOTH_EXPECTED = {
    "karthiga": [ProfileEntry(21, 9, "watching"), ProfileEntry(59, 7, "completed")],
    "Xinil": [
        ProfileEntry(120, 0, "on_hold"),
        ProfileEntry(269, 0, "dropped"),
        ProfileEntry(1571, 8, "plan_to_watch"),
    ],
    "Ünïcode_名前": [ProfileEntry(1, 10, "completed")],
}


# --- azathoth42 -----------------------------------------------------------------------------


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


# --- MAL API JSON pages ---------------------------------------------------------------------


def page(*items: tuple[int, str, int], next_url: str | None = None) -> dict:
    data = [
        {
            "node": {"id": a, "title": f"T{a}"},
            "list_status": {"status": s, "score": sc, "num_episodes_watched": 1},
        }
        for a, s, sc in items
    ]
    return {"data": data, "paging": {"next": next_url} if next_url else {}}


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


# --- MAL export XML -------------------------------------------------------------------------


def export(username: str | None, *records: tuple[int, str, int, str]) -> bytes:
    info = f"<myinfo><user_name>{username}</user_name></myinfo>" if username else "<myinfo/>"
    body = "".join(
        f"<anime><series_animedb_id>{a}</series_animedb_id>"
        f"<series_title><![CDATA[{t}]]></series_title>"
        f"<my_score>{s}</my_score><my_status>{st}</my_status></anime>\n"
        for a, t, s, st in records
    )
    prolog = '<?xml version="1.0" encoding="UTF-8" ?>'
    return f"{prolog}\n<myanimelist>{info}\n{body}</myanimelist>".encode()


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


# --- collector output -----------------------------------------------------------------------


def fetch(user: str, status: int, at: str, entries: list[dict] | None = None) -> dict:
    record: dict = {"username": user, "http_status": status, "fetched_at": at}
    record["entries"] = entries if entries is not None else []
    return record


def entry(anime_id: int, status: str = "completed", score: int = 0) -> dict:
    return {
        "anime_id": anime_id,
        "status": status,
        "score": score,
        "num_episodes_watched": 3,
        "updated_at": "2025-01-01T00:00:00+00:00",
    }


def write_jsonl(path: Path, records: list, *, gz: bool = True) -> Path:
    text = "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records)
    path.write_bytes(gzip.compress(text.encode()) if gz else text.encode())
    return path


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


# --- detection ------------------------------------------------------------------------------


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


# --- issue #10: Kaggle 2020 dataset, whole-header detection, folders of mixed files ----------

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
