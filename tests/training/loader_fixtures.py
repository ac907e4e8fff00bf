"""Small fixtures for the training-data loader tests (``test_loaders_*.py``): azathoth42
CSV rows, MAL API JSON pages, MAL export XML and collector JSONL records, built in code."""

from __future__ import annotations

import csv
import gzip
import io
import json
from pathlib import Path

from model.profile import ProfileEntry

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


def page(*items: tuple[int, str, int], next_url: str | None = None) -> dict:
    data = [
        {
            "node": {"id": a, "title": f"T{a}"},
            "list_status": {"status": s, "score": sc, "num_episodes_watched": 1},
        }
        for a, s, sc in items
    ]
    return {"data": data, "paging": {"next": next_url} if next_url else {}}


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
