"""MAL API animelist JSON reader, upload sniffing (XML or JSON) and status parsing."""

from __future__ import annotations

import gzip
import json

import pytest

from model.listformats import (
    parse_mal_api_animelist,
    parse_status,
    read_list_upload,
    read_mal_api_animelist,
)
from model.profile import ListFormatError, ProfileEntry
from tests.model.listformat_data import (
    EXPECTED,
    RECORDS,
    api_item,
    export_xml,
)


def test_api_page_and_pages() -> None:
    page1 = {
        "data": [api_item(1, "completed", 9), api_item(2, "plan_to_watch", 0)],
        "paging": {"next": "https://api.myanimelist.net/v2/users/alice/animelist?offset=2"},
    }
    page2 = {"data": [api_item(3, "on_hold", 4, priority=2), api_item(1, "watching", 7)]}
    assert parse_mal_api_animelist(page1, "p") == [
        ProfileEntry(1, 9, "completed"),
        ProfileEntry(2, 0, "plan_to_watch"),
    ]
    parsed = read_mal_api_animelist([page1, page2], "pages")
    assert parsed.entries == [
        ProfileEntry(2, 0, "plan_to_watch"),
        ProfileEntry(3, 4, "on_hold"),
        ProfileEntry(1, 7, "watching"),
    ]
    assert parsed.titles == {1: "Title 1", 2: "Title 2", 3: "Title 3"}
    assert parse_mal_api_animelist({"data": []}, "empty") == []


@pytest.mark.parametrize(
    ("item", "message"),
    [
        (api_item("1", "completed", 9), r"data\[1\]\.node\.id: expected int, got str '1'"),
        (api_item(True, "completed", 9), r"node\.id: expected int, got bool"),
        (api_item(0, "completed", 9), r"node\.id: must be >= 1"),
        (api_item(5, "completed", "9"), r"list_status\.score: expected int, got str"),
        (api_item(5, "completed", 9.0), r"list_status\.score: expected int, got float"),
        (api_item(5, "completed", 11), r"list_status\.score: must be 0-10, got 11"),
        (api_item(5, "Completed", 9), r"list_status\.status: unknown status 'Completed'"),
        (api_item(5, None, 9), r"list_status\.status: expected str, got null"),
        ({"node": {"id": 5}, "list_status": "completed"}, r"list_status: expected an object"),
        (api_item(5, "reading", 9), r"'reading' is a manga list status; expected an anime list"),
        (api_item(5, "plan_to_read", 0), r"'plan_to_read' is a manga list status"),
        ({"list_status": {"status": "completed", "score": 1}}, r"missing 'node'"),
        ([5], r"data\[1\]: expected an object, got list"),
    ],
)
def test_api_strict_types(item: object, message: str) -> None:
    page = {"data": [api_item(1, "completed", 9), item]}
    with pytest.raises(ListFormatError, match=message) as info:
        parse_mal_api_animelist(page, "alice.json")
    assert str(info.value).startswith("alice.json: page: ")


def test_api_wrong_shapes() -> None:
    with pytest.raises(ListFormatError, match=r"page: object: missing 'data'"):
        parse_mal_api_animelist({"error": "not_found"}, "x")
    with pytest.raises(ListFormatError, match=r"page: data: expected list, got dict"):
        parse_mal_api_animelist({"data": {}}, "x")
    with pytest.raises(ListFormatError, match=r"page 2: expected an object, got str"):
        parse_mal_api_animelist([{"data": []}, "oops"], "x")
    with pytest.raises(ListFormatError, match="expected an animelist page"):
        parse_mal_api_animelist("data", "x")  # type: ignore[arg-type]


# --- uploads and statuses -------------------------------------------------------------------


def test_upload_sniffs_xml_and_json() -> None:
    page = {"data": [api_item(1, "completed", 9)]}
    as_json = json.dumps(page).encode()
    assert read_list_upload(export_xml(RECORDS), "u").entries == EXPECTED
    assert read_list_upload(gzip.compress(export_xml(RECORDS)), "u").username == "alice"
    assert read_list_upload(b"\xef\xbb\xbf\n" + as_json, "u").entries == [
        ProfileEntry(1, 9, "completed")
    ]
    assert read_list_upload(gzip.compress(json.dumps([page]).encode()), "u").titles == {
        1: "Title 1"
    }
    with pytest.raises(ListFormatError, match=r"u, line 1: invalid JSON"):
        read_list_upload(b'{"data": [', "u")
    with pytest.raises(ListFormatError, match="unrecognised list file"):
        read_list_upload(b"user_id,anime_id,rating\n1,2,3\n", "u")
    with pytest.raises(ListFormatError, match="limit"):
        read_list_upload(export_xml(RECORDS), "u", max_bytes=10)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Completed", "completed"),
        (" on-hold ", "on_hold"),
        ("PLAN TO WATCH", "plan_to_watch"),
        ("plan_to_watch", "plan_to_watch"),
        (1, "watching"),
        ("4", "dropped"),
        (6, "plan_to_watch"),
    ],
)
def test_parse_status(value: object, expected: str) -> None:
    assert parse_status(value) == expected


@pytest.mark.parametrize("value", [5, 0, "5", "watched", True, None, 2.0])
def test_parse_status_rejects(value: object) -> None:
    with pytest.raises(ValueError, match="status"):
        parse_status(value)
