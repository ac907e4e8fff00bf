"""Today's MAL export size and limits, other tools' exports, one API item rule (issue #10)."""

from __future__ import annotations

import gzip
import json

import pytest

from model.listformats import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_ENTRIES,
    EXPORT_BYTES_PER_ENTRY,
    ListTooLarge,
    parse_list_item,
    read_list_upload,
    read_mal_api_animelist,
    read_mal_export,
)
from model.profile import ListFormatError, ProfileEntry
from tests.model.listformat_data import (
    RECORDS,
    api_item,
    export_xml,
    line_of,
    modern_export,
)


def test_todays_export_size_per_entry_matches_the_constant() -> None:
    per_entry = (len(modern_export(2000)) - len(modern_export(0))) / 2000
    assert 965 <= per_entry <= 975
    assert abs(per_entry - EXPORT_BYTES_PER_ENTRY) <= 10
    # the byte cap leaves room for twice today's size at the entry limit
    assert DEFAULT_MAX_BYTES >= 2 * EXPORT_BYTES_PER_ENTRY * DEFAULT_MAX_ENTRIES


def test_an_18000_entry_export_reads_within_the_default_limits() -> None:
    data = modern_export(18_000)
    assert len(data) > 16 * 1024 * 1024  # over the old cap
    parsed = read_list_upload(gzip.compress(data), "big.xml.gz")
    assert len(parsed.entries) == 18_000
    assert parsed.username == "alice"


def test_limits_say_which_one_was_hit() -> None:
    data = modern_export(50)
    with pytest.raises(ListTooLarge) as info:
        read_list_upload(data, "x.xml", max_entries=40)
    assert (info.value.limit, info.value.maximum) == ("entries", 40)
    assert "more than 40 entries" in str(info.value)
    with pytest.raises(ListTooLarge) as info:
        read_list_upload(gzip.compress(data), "x.xml.gz", max_bytes=10_000)
    assert (info.value.limit, info.value.maximum) == ("bytes", 10_000)


def test_one_giant_token_is_refused_quickly() -> None:
    data = export_xml(RECORDS)
    cut = data.index(b"</myanimelist>") + 4
    padded = data[:cut] + b" " * (3 << 20) + data[cut:]
    with pytest.raises(ListFormatError, match="single XML token"):
        read_mal_export(gzip.compress(padded), "pad.xml.gz")


def test_owner_in_username_tag() -> None:
    parsed = read_mal_export(modern_export(3, "bob", owner_tag="username"), "bob.xml")
    assert parsed.username == "bob"


def test_entries_without_a_mal_id_are_skipped_and_counted() -> None:
    records = [(1, "A", 9, "Completed"), (0, "Not On MAL", 7, "Completed"), (2, "B", 0, "Dropped")]
    converter = export_xml([*records, ("", "Also Unknown", 5, "Watching")])
    parsed = read_list_upload(converter, "conv.xml")
    assert parsed.entries == [ProfileEntry(1, 9, "completed"), ProfileEntry(2, 0, "dropped")]
    assert [(s.reason, s.title) for s in parsed.skipped] == [
        ("no_mal_id", "Not On MAL"),
        ("no_mal_id", "Also Unknown"),
    ]
    assert parsed.skipped[0].line == line_of(converter, "<series_animedb_id>0") - 1
    assert parsed.notes() == ["Skipped 2 entries without a MyAnimeList id."]


def test_conflicting_duplicates_the_last_in_the_file_wins_and_is_reported() -> None:
    records = [
        (1, "A", 9, "Completed"),
        (2, "B", 5, "Watching"),
        (1, "A", 6, "Dropped"),
        (2, "B", 5, "Watching"),  # identical: not a conflict
    ]
    parsed = read_mal_export(export_xml(records), "dup.xml")
    assert parsed.entries == [ProfileEntry(1, 6, "dropped"), ProfileEntry(2, 5, "watching")]
    assert [(s.reason, s.anime_id, s.title) for s in parsed.skipped] == [("duplicate", 1, "A")]
    assert parsed.notes() == [
        "1 title appeared more than once with a different score or status; "
        "the last entry in the file was kept."
    ]
    api = read_mal_api_animelist(
        {"data": [api_item(1, "completed", 9), api_item(1, "dropped", 2)]}, "p"
    )
    assert api.entries == [ProfileEntry(1, 2, "dropped")]
    assert [s.reason for s in api.skipped] == ["duplicate"]


def test_api_item_without_list_status_is_completed_and_counted() -> None:
    page = {"data": [api_item(1, "watching", 8), {"node": {"id": 2, "title": "T"}}]}
    parsed = read_list_upload(json.dumps(page).encode(), "page.json")
    assert parsed.entries == [ProfileEntry(1, 8, "watching"), ProfileEntry(2, 0, "completed")]
    assert parsed.assumed_completed == 1
    assert parsed.notes() == ["1 entry had no list status and was read as completed and unscored."]


def test_one_item_rule_for_uploads_and_the_mal_client() -> None:
    from common.mal import MalListEntry
    from common.mal.errors import InvalidResponse

    bare = {"node": {"id": 7, "title": "T"}}
    assert parse_list_item(bare).to_profile_entry() == ProfileEntry(7, 0, "completed")
    assert MalListEntry.from_api(bare).to_profile_entry() == ProfileEntry(7, 0, "completed")
    manga = api_item(7, "reading", 8)
    with pytest.raises(ValueError, match="manga list status"):
        parse_list_item(manga)
    with pytest.raises(InvalidResponse, match="manga list status"):
        MalListEntry.from_api(manga)
    with pytest.raises(ListFormatError, match="manga list status"):
        read_list_upload(json.dumps({"data": [manga]}).encode(), "manga.json")
    full = MalListEntry.from_api(api_item(3, "on_hold", 4))
    assert (full.status, full.score, full.num_episodes_watched, full.title) == (
        "on_hold",
        4,
        3,
        "Title 3",
    )
    assert full.updated_at is not None
