"""MAL export XML reader: round trips, encodings, gzip, entities, bad input, limits."""

from __future__ import annotations

import gzip
import io
import re
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from model.listformats import (
    DEFAULT_MAX_BYTES,
    parse_mal_export,
    read_bounded,
    read_mal_export,
)
from model.profile import ListFormatError, ProfileEntry
from tests.model.listformat_data import (
    EXPECTED,
    RECORDS,
    export_xml,
    line_of,
)


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
