"""MAL's "export list" XML, parsed with expat directly and streamed.

Any DOCTYPE, entity declaration or external entity is rejected (no billion laughs, no XXE).
"""

from __future__ import annotations

import io
from typing import Any, BinaryIO, Final, NoReturn
from xml.parsers import expat

from model.listformats.bounded import iter_bounded_chunks
from model.listformats.entries import EntryCollector
from model.listformats.fields import DEFAULT_MAX_BYTES, ParsedList, parse_int_text, parse_status
from model.profile import ListFormatError, ProfileEntry

MAX_TOKEN_BYTES: Final = 1 << 20
"""Longest run of input without a parser event (a tag, a text piece). Expat 2.5 rescans an
unfinished token from its start on every chunk, so one 60 MB token would cost about a minute;
real exports have events every line."""

_ANIME_FIELDS: Final = frozenset({"series_animedb_id", "series_title", "my_score", "my_status"})


class _ExportHandler:
    """Expat callbacks for ``<myanimelist>``: collects one record per ``<anime>``."""

    def __init__(self, parser: Any, source: str, max_entries: int | None = None) -> None:
        self.parser = parser
        self.source = source
        self.depth = 0
        self.container: str | None = None  # "anime" or "myinfo" while inside one
        self.record: dict[str, tuple[str, int]] = {}
        self.record_line = 0
        self.field_name: str | None = None
        self.field_line = 0
        self.text: list[str] = []
        self.collector = EntryCollector(source, max_entries)
        self.username: str | None = None
        self.last_event = 0

    @property
    def line(self) -> int:
        return int(self.parser.CurrentLineNumber)

    def fail(self, message: str, line: int | None = None) -> NoReturn:
        raise ListFormatError(self.source, message, self.line if line is None else line)

    def reject_dtd(self, *_args: object) -> NoReturn:
        self.fail("DOCTYPE and entity declarations are not allowed in a list file")

    def start(self, name: str, _attrs: dict[str, str]) -> None:
        self.last_event = self.parser.CurrentByteIndex
        self.depth += 1
        if self.depth == 1:
            if name != "myanimelist":
                self.fail(f"expected a MAL export (<myanimelist> root), found <{name}>")
        elif self.depth == 2:
            if name == "manga":
                self.fail("this is a manga list export; export your anime list instead")
            if name in ("anime", "myinfo"):
                self.container = name
                self.record = {}
                self.record_line = self.line
        elif self.depth == 3 and self.container is not None:
            self.field_name = name
            self.field_line = self.line
            self.text = []

    def chars(self, data: str) -> None:
        self.last_event = self.parser.CurrentByteIndex
        if self.field_name is not None:
            self.text.append(data)

    def end(self, name: str) -> None:
        self.last_event = self.parser.CurrentByteIndex
        if self.depth == 3 and self.field_name is not None:
            if name in self.record:
                self.fail(f"<{name}> appears twice in one <{self.container}>")
            self.record[name] = ("".join(self.text), self.field_line)
            self.field_name = None
        elif self.depth == 2 and self.container is not None:
            if self.container == "anime":
                self.finish_anime()
            else:
                # MAL writes <user_name>; some other list tools write <username>.
                user = self.record.get("user_name") or self.record.get("username")
                self.username = (user[0].strip() or None) if user else None
            self.container = None
        self.depth -= 1

    def finish_anime(self) -> None:
        record = self.record
        where = f"<anime> starting on line {self.record_line}"
        if "series_animedb_id" not in record:
            self.fail(f"{where} has no <series_animedb_id>", self.record_line)
        title = record["series_title"][0].strip() if "series_title" in record else ""
        id_text, line = record["series_animedb_id"]
        if id_text.strip() in ("0", ""):
            # Converters write 0 (or nothing) for a title MAL does not know: skipped, counted.
            self.collector.skip("no_mal_id", self.record_line, title or None)
            return
        if "my_status" not in record:
            self.fail(f"{where} has no <my_status>", self.record_line)
        try:
            anime_id = parse_int_text(id_text, "<series_animedb_id>", 1)
            text, line = record.get("my_score", ("0", self.record_line))
            score = parse_int_text(text, "<my_score>", 0, 10) if text.strip() else 0
            text, line = record["my_status"]
            status = parse_status(text)
        except ValueError as exc:
            self.fail(str(exc), line)
        self.collector.add(ProfileEntry(anime_id, score, status), self.record_line, title or None)


def read_mal_export(
    data: bytes | BinaryIO,
    source: str,
    *,
    max_bytes: int | None = DEFAULT_MAX_BYTES,
    max_entries: int | None = None,
) -> ParsedList:
    """Read MAL's "export list" XML (plain or gzip) into entries, titles and the username.

    ``data`` is the file's bytes or a binary stream (read in chunks: large exports stream).
    ``<my_status>`` may be a display name (``Completed``, ``On-Hold``, ``Plan to Watch``, …) or a
    numeric code (1, 2, 3, 4, 6); an empty or absent ``<my_score>`` means unscored. An entry whose
    ``<series_animedb_id>`` is 0 or empty (no MAL id) is skipped and listed in ``skipped``. If an
    anime appears twice the later entry wins (:mod:`model.listformats.entries`). Past
    ``max_entries`` distinct anime, :class:`ListTooLarge` stops the read. Raises
    :class:`ListFormatError` for anything else.
    """
    stream = io.BytesIO(data) if isinstance(data, bytes | bytearray | memoryview) else data
    parser = expat.ParserCreate()
    handler = _ExportHandler(parser, source, max_entries)
    parser.buffer_text = True
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = handler.reject_dtd
    parser.EntityDeclHandler = handler.reject_dtd
    parser.UnparsedEntityDeclHandler = handler.reject_dtd
    parser.ExternalEntityRefHandler = handler.reject_dtd
    parser.StartElementHandler = handler.start
    parser.EndElementHandler = handler.end
    parser.CharacterDataHandler = handler.chars
    fed = 0
    try:
        for chunk in iter_bounded_chunks(stream, source, max_bytes):
            parser.Parse(chunk, False)
            fed += len(chunk)
            if fed - handler.last_event > MAX_TOKEN_BYTES:
                raise ListFormatError(
                    source,
                    f"a single XML token (tag, comment or text) runs past {MAX_TOKEN_BYTES:,} "
                    "bytes; not a MAL export",
                    handler.line,
                )
        seen_any = fed > 0
        if not seen_any:
            raise ListFormatError(source, "empty file; expected a MAL export XML")
        parser.Parse(b"", True)
    except expat.ExpatError as exc:
        message = expat.ErrorString(exc.code)
        raise ListFormatError(source, f"not well-formed XML ({message})", exc.lineno) from exc
    collector = handler.collector
    return ParsedList(
        source,
        collector.result(),
        collector.titles,
        handler.username,
        collector.skipped,
        format="mal_export_xml",
    )


def parse_mal_export(
    data: bytes | BinaryIO, source: str, *, max_bytes: int | None = DEFAULT_MAX_BYTES
) -> list[ProfileEntry]:
    """The entries of a MAL export XML; see :func:`read_mal_export` (which also gives titles)."""
    return read_mal_export(data, source, max_bytes=max_bytes).entries
