"""MAL export XML and MAL API animelist JSON readers: round trips, gzip, limits, bad input."""

from __future__ import annotations

import gzip
import io
import json
import re
import zlib
from xml.sax.saxutils import escape

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from model.listformats import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_ENTRIES,
    EXPORT_BYTES_PER_ENTRY,
    ListTooLarge,
    parse_list_item,
    parse_mal_api_animelist,
    parse_mal_export,
    parse_status,
    read_bounded,
    read_list_upload,
    read_mal_api_animelist,
    read_mal_export,
)
from model.profile import ListFormatError, ProfileEntry

EXPORT_STATUS = {
    "watching": "Watching",
    "completed": "Completed",
    "on_hold": "On-Hold",
    "dropped": "Dropped",
    "plan_to_watch": "Plan to Watch",
}


def anime_xml(anime_id: object, title: str, score: object, status: object, cdata: bool) -> str:
    """One ``<anime>`` record laid out as MAL's exporter writes it."""
    title_xml = f"<![CDATA[{title}]]>" if cdata else escape(title)
    return f"""
	<anime>
		<series_animedb_id>{anime_id}</series_animedb_id>
		<series_title>{title_xml}</series_title>
		<series_type>TV</series_type>
		<series_episodes>12</series_episodes>
		<my_id>0</my_id>
		<my_watched_episodes>12</my_watched_episodes>
		<my_start_date>0000-00-00</my_start_date>
		<my_score>{score}</my_score>
		<my_status>{status}</my_status>
		<my_comments><![CDATA[]]></my_comments>
		<my_tags><![CDATA[a, b]]></my_tags>
		<update_on_import>0</update_on_import>
	</anime>"""


def export_xml(
    records: list[tuple[object, str, object, object]],
    username: str = "alice",
    *,
    cdata: bool = True,
    prolog: str = '<?xml version="1.0" encoding="UTF-8" ?>',
) -> bytes:
    body = "".join(anime_xml(*record, cdata=cdata) for record in records)
    return f"""{prolog}
<!--
 Created by XML Export feature at MyAnimeList.net
 Version 1.1.0
-->
<myanimelist>
	<myinfo>
		<user_id>42</user_id>
		<user_name>{username}</user_name>
		<user_export_type>1</user_export_type>
		<user_total_anime>{len(records)}</user_total_anime>
	</myinfo>{body}
</myanimelist>
""".encode()


RECORDS = [
    (1, "Cowboy Bebop", 9, "Completed"),
    (5114, "Fullmetal Alchemist: Brotherhood", 10, "Watching"),
    (30, "Shinseiki Evangelion", 0, "Dropped"),
    (52991, "Sousou no Frieren", 0, "Plan to Watch"),
    (269, "Bleach", 6, "On-Hold"),
]
EXPECTED = [
    ProfileEntry(1, 9, "completed"),
    ProfileEntry(5114, 10, "watching"),
    ProfileEntry(30, 0, "dropped"),
    ProfileEntry(52991, 0, "plan_to_watch"),
    ProfileEntry(269, 6, "on_hold"),
]


def line_of(data: bytes, needle: str) -> int:
    return (
        data.decode().splitlines().index(next(s for s in data.decode().splitlines() if needle in s))
        + 1
    )


# --- export XML -----------------------------------------------------------------------------


def test_export_reads_entries_titles_and_username() -> None:
    parsed = read_mal_export(export_xml(RECORDS), "alice.xml")
    assert parsed.entries == EXPECTED
    assert parsed.username == "alice"
    assert parsed.titles[5114] == "Fullmetal Alchemist: Brotherhood"
    assert parse_mal_export(export_xml(RECORDS), "alice.xml") == EXPECTED


def test_numeric_statuses_and_empty_or_missing_score() -> None:
    records = [(1, "A", 7, 1), (2, "B", 8, 2), (3, "C", "", 3), (4, "D", 0, 4), (5, "E", 3, 6)]
    data = export_xml(records)
    entries = parse_mal_export(data, "x")
    assert [e.status for e in entries] == [
        "watching",
        "completed",
        "on_hold",
        "dropped",
        "plan_to_watch",
    ]
    assert [e.score for e in entries] == [7, 8, 0, 0, 3]
    no_score = re.sub(rb"<my_score>[^<]*</my_score>", b"", data)
    assert [e.score for e in parse_mal_export(no_score, "x")] == [0, 0, 0, 0, 0]


@pytest.mark.parametrize("cdata", [True, False])
def test_odd_titles_round_trip(cdata: bool) -> None:
    titles = [
        "Kaguya-sama wa Kokurasetai: Tensai-tachi no Renai Zunousen",
        "Fate/stay night [Unlimited Blade Works] & <friends> \"quoted\" 'single'",
        "進撃の巨人 — Shingeki no Kyojin 🗡️",
        "Ψ-nan: Saiki Kusuo no Ψ-nan",
        "  padded  ",
    ]
    records = [(i + 1, t, 5, "Completed") for i, t in enumerate(titles)]
    parsed = read_mal_export(export_xml(records, cdata=cdata), "x")
    assert [parsed.titles[i + 1] for i in range(len(titles))] == [t.strip() for t in titles]


@settings(max_examples=40, deadline=None)
@given(
    title=st.text(
        alphabet=st.characters(
            codec="utf-8", exclude_categories=("Cs", "Cc"), exclude_characters="\ufffe\uffff"
        ),
        min_size=1,
        max_size=40,
    ).filter(lambda t: t.strip() and "]]>" not in t),
    cdata=st.booleans(),
)
def test_any_title_round_trips(title: str, cdata: bool) -> None:
    parsed = read_mal_export(export_xml([(7, title, 5, "Completed")], cdata=cdata), "x")
    assert parsed.titles == {7: title.strip()}


def test_numeric_character_references_and_latin1_encoding() -> None:
    data = export_xml([(1, "Ōkami &#x2764; & co", 5, "Completed")], cdata=False)
    # escape() already turned "&" into "&amp;"; undo it for the character reference under test
    data = data.replace(b"&amp;#x2764;", b"&#x2764;")
    assert read_mal_export(data, "x").titles[1] == "Ōkami \u2764 & co"
    latin = export_xml(
        [(1, "Pokémon", 5, "Completed")],
        prolog='<?xml version="1.0" encoding="ISO-8859-1" ?>',
    )
    latin = latin.decode().encode("latin-1")
    assert read_mal_export(latin, "x").titles[1] == "Pokémon"


def test_gzip_is_detected_by_magic() -> None:
    data = export_xml(RECORDS)
    assert parse_mal_export(gzip.compress(data), "list.xml.gz") == EXPECTED
    assert parse_mal_export(io.BytesIO(gzip.compress(data)), "s") == EXPECTED


def test_large_export_streams_from_a_file(tmp_path) -> None:
    n = 20_000
    records = [(i, f"Title {i}", i % 11, "Completed") for i in range(1, n + 1)]
    path = tmp_path / "big.xml.gz"
    path.write_bytes(gzip.compress(export_xml(records)))
    with path.open("rb") as handle:
        entries = parse_mal_export(handle, str(path), max_bytes=None)
    assert len(entries) == n
    assert entries[-1] == ProfileEntry(n, n % 11, "completed")


def test_duplicate_anime_keeps_the_later_entry() -> None:
    entries = parse_mal_export(export_xml([(1, "A", 3, 2), (2, "B", 4, 2), (1, "A", 8, 1)]), "x")
    assert entries == [ProfileEntry(2, 4, "completed"), ProfileEntry(1, 8, "watching")]


def test_empty_list_is_fine() -> None:
    parsed = read_mal_export(export_xml([]), "x")
    assert parsed.entries == []
    assert parsed.username == "alice"


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<myanimelist><anime><series_animedb_id>1</series_animedb_id>
<series_title>&lol3;</series_title><my_score>1</my_score><my_status>1</my_status></anime>
</myanimelist>"""

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE myanimelist [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<myanimelist><anime><series_animedb_id>1</series_animedb_id>
<series_title>&secret;</series_title><my_score>1</my_score><my_status>1</my_status></anime>
</myanimelist>"""

PLAIN_DOCTYPE = b"""<?xml version="1.0"?>
<!DOCTYPE myanimelist SYSTEM "http://127.0.0.1:9/mal.dtd">
<myanimelist></myanimelist>"""


@pytest.mark.parametrize("data", [BILLION_LAUGHS, XXE, PLAIN_DOCTYPE])
def test_doctype_and_entities_are_rejected(data: bytes) -> None:
    with pytest.raises(ListFormatError, match=r"evil\.xml, line 2: DOCTYPE"):
        read_mal_export(data, "evil.xml")


def test_undefined_entity_is_an_error() -> None:
    data = export_xml([(1, "A &nbsp; B", 5, "Completed")], cdata=False).replace(
        b"&amp;nbsp;", b"&nbsp;"
    )
    with pytest.raises(ListFormatError, match=r"undefined entity") as info:
        read_mal_export(data, "x")
    assert info.value.line == line_of(data, "&nbsp;")


def test_malformed_xml_names_source_and_line() -> None:
    data = export_xml(RECORDS).replace(b"</series_type>", b"</series_typo>", 1)
    with pytest.raises(ListFormatError, match=r"^list\.xml, line \d+: not well-formed XML") as info:
        read_mal_export(data, "list.xml")
    assert info.value.line == line_of(data, "</series_typo>")
    with pytest.raises(ListFormatError, match="not well-formed"):
        read_mal_export(export_xml(RECORDS)[:-40], "cut.xml")
    with pytest.raises(ListFormatError, match="empty file"):
        read_mal_export(b"", "empty.xml")


@pytest.mark.parametrize(
    ("record", "needle", "message"),
    [
        (("abc", "A", 5, "Completed"), "<series_animedb_id>abc", "series_animedb_id.*integer"),
        ((-3, "A", 5, "Completed"), "<series_animedb_id>-3", "series_animedb_id.*>= 1"),
        ((1, "A", "nine", "Completed"), "<my_score>nine", "my_score.*integer"),
        ((1, "A", 11, "Completed"), "<my_score>11", r"my_score.*0-10, got 11"),
        ((1, "A", -1, "Completed"), "<my_score>-1", r"my_score.*0-10, got -1"),
        ((1, "A", 5, "Watched"), "<my_status>Watched", "unknown status 'Watched'"),
        ((1, "A", 5, 5), "<my_status>5", "unknown status '5'"),
        ((1, "A", 5, ""), "<my_status></my_status>", "unknown status ''"),
    ],
)
def test_bad_fields_name_the_element_line(record, needle: str, message: str) -> None:
    data = export_xml([(9, "ok", 1, "Completed"), record])
    with pytest.raises(ListFormatError, match=message) as info:
        read_mal_export(data, "bad.xml")
    assert info.value.source == "bad.xml"
    assert info.value.line == line_of(data, needle)


def test_missing_required_elements() -> None:
    data = re.sub(rb"<my_status>[^<]*</my_status>", b"", export_xml(RECORDS[:1]))
    with pytest.raises(ListFormatError, match=r"<anime> starting on line \d+ has no <my_status>"):
        read_mal_export(data, "x")
    data = re.sub(rb"<series_animedb_id>[^<]*</series_animedb_id>", b"", export_xml(RECORDS[:1]))
    with pytest.raises(ListFormatError, match="has no <series_animedb_id>"):
        read_mal_export(data, "x")


def test_wrong_documents() -> None:
    with pytest.raises(ListFormatError, match=r"expected a MAL export.*found <html>"):
        read_mal_export(b"<html><body/></html>", "x")
    manga = b"<myanimelist><myinfo/><manga><manga_mangadb_id>2</manga_mangadb_id></manga>"
    with pytest.raises(ListFormatError, match="manga list export"):
        read_mal_export(manga + b"</myanimelist>", "x")


def test_size_limit_plain_and_gzip_bomb() -> None:
    data = export_xml(RECORDS)
    with pytest.raises(ListFormatError, match="larger than the limit of 100 bytes"):
        read_mal_export(data, "x", max_bytes=100)
    assert read_mal_export(data, "x", max_bytes=len(data)).entries == EXPECTED
    # 64 MiB of whitespace inside a valid document compresses to ~64 KiB
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    cut = data.index(b"<myanimelist>") + len(b"<myanimelist>")
    parts = [compressor.compress(data[:cut])]
    block = b" " * (1 << 20)
    parts += [compressor.compress(block) for _ in range(64)]
    parts += [compressor.compress(data[cut:]), compressor.flush()]
    bomb = b"".join(parts)
    assert len(bomb) < 200_000
    with pytest.raises(ListFormatError, match=f"limit of {DEFAULT_MAX_BYTES:,} bytes"):
        read_mal_export(bomb, "bomb.xml.gz")
    with pytest.raises(ListFormatError, match="limit"):
        read_bounded(bomb, "bomb", max_bytes=1 << 20)


def test_corrupt_and_truncated_gzip() -> None:
    packed = gzip.compress(export_xml(RECORDS))
    with pytest.raises(ListFormatError, match="not a valid gzip file"):
        read_mal_export(packed[: len(packed) // 2], "cut.xml.gz")
    broken = packed[:20] + bytes(b ^ 0xFF for b in packed[20:40]) + packed[40:]
    with pytest.raises(ListFormatError, match="gzip"):
        read_mal_export(broken, "broken.xml.gz")


# --- MAL API animelist JSON -----------------------------------------------------------------


def api_item(anime_id: object, status: object, score: object, **extra: object) -> dict:
    return {
        "node": {
            "id": anime_id,
            "title": f"Title {anime_id}",
            "main_picture": {"medium": "https://example.invalid/a.jpg"},
        },
        "list_status": {
            "status": status,
            "score": score,
            "num_episodes_watched": 3,
            "is_rewatching": False,
            "updated_at": "2017-11-11T19:51:22+00:00",
            **extra,
        },
    }


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


# --- issue #10: today's export size, other tools' exports, one API item rule ----------------


def modern_anime_xml(anime_id: int, title: str, score: int, status: str) -> str:
    """One ``<anime>`` as MAL's exporter writes it today (every field it writes, 2026 layout)."""
    return f"""
	<anime>
		<series_animedb_id>{anime_id}</series_animedb_id>
		<series_title><![CDATA[{title}]]></series_title>
		<series_type>TV</series_type>
		<series_episodes>12</series_episodes>
		<my_id>0</my_id>
		<my_watched_episodes>12</my_watched_episodes>
		<my_start_date>2021-04-03</my_start_date>
		<my_finish_date>2021-06-19</my_finish_date>
		<my_rated></my_rated>
		<my_score>{score}</my_score>
		<my_storage></my_storage>
		<my_storage_value>0.00</my_storage_value>
		<my_status>{status}</my_status>
		<my_comments><![CDATA[]]></my_comments>
		<my_times_watched>0</my_times_watched>
		<my_rewatch_value></my_rewatch_value>
		<my_priority>LOW</my_priority>
		<my_tags><![CDATA[]]></my_tags>
		<my_rewatching>0</my_rewatching>
		<my_rewatching_ep>0</my_rewatching_ep>
		<my_discuss>1</my_discuss>
		<my_sns>default</my_sns>
		<update_on_import>0</update_on_import>
		<my_last_updated>1624060800</my_last_updated>
		<my_num_tag_updates>0</my_num_tag_updates>
	</anime>"""


def modern_export(n: int, username: str = "alice", owner_tag: str = "user_name") -> bytes:
    statuses = list(EXPORT_STATUS.values())
    body = "".join(
        modern_anime_xml(i + 1, f"Generated Title No {i + 1}", i % 11, statuses[i % 5])
        for i in range(n)
    )
    head = (
        '<?xml version="1.0" encoding="UTF-8" ?>\n<myanimelist>\n\t<myinfo>\n'
        f"\t\t<user_id>42</user_id>\n\t\t<{owner_tag}>{username}</{owner_tag}>\n"
        f"\t\t<user_export_type>1</user_export_type>\n\t\t<user_total_anime>{n}</user_total_anime>"
        "\n\t</myinfo>"
    )
    return f"{head}{body}\n</myanimelist>\n".encode()


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
