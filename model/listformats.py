"""Readers for members' list files: MAL's "export list" XML and MAL API v2 animelist JSON.

The bot's ``/import`` command and the training loaders both use these, so they are pure stdlib
and strict: every malformed element, field or file raises :class:`~model.profile.ListFormatError`
naming the source and, where there is one, the line.

Untrusted input is handled defensively: gzip is detected by its magic bytes and decompressed in
bounded steps (a gzip bomb stops at ``max_bytes``), and the XML is parsed with expat directly,
rejecting any DOCTYPE, entity declaration or external entity (no billion laughs, no XXE).
"""

from __future__ import annotations

import gzip
import io
import json
import zlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Final, NoReturn
from xml.parsers import expat

from model.profile import STATUSES, ListFormatError, ProfileEntry

DEFAULT_MAX_BYTES: Final = 5 * 1024 * 1024
"""Largest uncompressed list accepted by default (a 5,000-entry MAL export is about 3.5 MB)."""

GZIP_MAGIC: Final = b"\x1f\x8b"
CHUNK_SIZE: Final = 64 * 1024

STATUS_CODES: Final = {
    1: "watching",
    2: "completed",
    3: "on_hold",
    4: "dropped",
    6: "plan_to_watch",
}
"""MAL's numeric list statuses (export XML, azathoth42 CSV); 5 is unused by MAL."""

_STATUS_NAMES: Final = {
    **{name: name for name in STATUSES},
    **{str(code): name for code, name in STATUS_CODES.items()},
    "on-hold": "on_hold",
    "plan to watch": "plan_to_watch",
}


@dataclass(frozen=True, slots=True)
class ParsedList:
    """One member's list as read from a file or payload.

    ``titles`` maps anime id to the title the source gave (when it gave one); ``username`` is
    the list owner named by the source (``<myinfo><user_name>`` in an export), if any.
    """

    source: str
    entries: list[ProfileEntry]
    titles: dict[int, str] = field(default_factory=dict)
    username: str | None = None


# --- shared field parsing -------------------------------------------------------------------


def parse_status(value: object) -> str:
    """MAL status in any of its spellings → the API name (``"On-Hold"``, ``3`` → ``"on_hold"``).

    Accepts the API names, the export's display names (case-insensitive) and the numeric codes
    1, 2, 3, 4, 6. Raises ``ValueError`` with what was expected otherwise.
    """
    if isinstance(value, bool):
        raise ValueError(f"expected a MAL status, got {value!r}")
    key = str(value).strip().lower() if isinstance(value, str | int) else None
    status = _STATUS_NAMES.get(key) if key is not None else None
    if status is None:
        raise ValueError(
            f"unknown status {value!r}; expected one of Watching, Completed, On-Hold, Dropped, "
            "Plan to Watch (or 1, 2, 3, 4, 6, or the MAL API names)"
        )
    return status


def parse_int_text(text: str, what: str, low: int, high: int | None = None) -> int:
    """An integer field given as text, within [low, high]; ``ValueError`` naming it otherwise."""
    stripped = text.strip()
    # int() also takes "1_000" and non-ASCII digits, which no list file legitimately holds.
    digits = stripped[1:] if stripped.startswith("-") else stripped
    if not digits.isascii() or not digits.isdigit():
        raise ValueError(f"{what} must be an integer, got {text!r}")
    value = int(stripped)
    if value < low or (high is not None and value > high):
        bound = f"{low}-{high}" if high is not None else f">= {low}"
        raise ValueError(f"{what} must be {bound}, got {value}")
    return value


def dedupe_entries(entries: Sequence[ProfileEntry]) -> list[ProfileEntry]:
    """Entries with one per anime id: a later entry for the same id replaces the earlier one."""
    if len({e.anime_id for e in entries}) == len(entries):
        return list(entries)
    latest: dict[int, ProfileEntry] = {}
    for entry in entries:
        latest.pop(entry.anime_id, None)
        latest[entry.anime_id] = entry
    return list(latest.values())


# --- bounded reading ------------------------------------------------------------------------


def _too_large(source: str, max_bytes: int) -> NoReturn:
    raise ListFormatError(source, f"larger than the limit of {max_bytes:,} bytes uncompressed")


def iter_bounded_chunks(
    stream: BinaryIO, source: str, max_bytes: int | None = DEFAULT_MAX_BYTES
) -> Iterator[bytes]:
    """The stream's bytes in chunks, gunzipped when it starts with the gzip magic.

    Decompression proceeds ``CHUNK_SIZE`` bytes of output at a time, so a gzip bomb costs at
    most ``max_bytes`` of work before :class:`ListFormatError` stops it.
    """
    head = stream.read(2)
    if not isinstance(head, bytes):
        raise TypeError(f"{source}: expected a binary stream")
    raw = io.BufferedReader(_Prepended(head, stream))
    reader: io.BufferedIOBase = gzip.GzipFile(fileobj=raw, mode="rb") if head == GZIP_MAGIC else raw
    total = 0
    while True:
        try:
            chunk = reader.read(CHUNK_SIZE)
        except (OSError, EOFError, zlib.error) as exc:
            what = "not a valid gzip file" if head == GZIP_MAGIC else "read error"
            raise ListFormatError(source, f"{what} ({exc})") from exc
        if not chunk:
            return
        total += len(chunk)
        if max_bytes is not None and total > max_bytes:
            _too_large(source, max_bytes)
        yield chunk


def read_bounded(
    data: bytes | BinaryIO, source: str, max_bytes: int | None = DEFAULT_MAX_BYTES
) -> bytes:
    """All of ``data`` (bytes or a binary stream), gunzipped if needed, within ``max_bytes``."""
    stream = io.BytesIO(data) if isinstance(data, bytes | bytearray | memoryview) else data
    return b"".join(iter_bounded_chunks(stream, source, max_bytes))


def open_list_file(path: str | Path) -> BinaryIO:
    """Open a file for reading as bytes, transparently gunzipped when it is gzip (by magic)."""
    with open(path, "rb") as probe:
        head = probe.read(2)
    if head == GZIP_MAGIC:
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return open(path, "rb")


class _Prepended(io.RawIOBase):
    """A read-only stream that yields ``head`` then the rest of ``stream`` (a non-seekable peek)."""

    def __init__(self, head: bytes, stream: BinaryIO) -> None:
        self._head = head
        self._stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        if self._head:
            n = min(len(view), len(self._head))
            view[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        data = self._stream.read(len(view))
        view[: len(data)] = data
        return len(data)


# --- MAL export XML -------------------------------------------------------------------------

_ANIME_FIELDS: Final = frozenset({"series_animedb_id", "series_title", "my_score", "my_status"})


class _ExportHandler:
    """Expat callbacks for ``<myanimelist>``: collects one record per ``<anime>``."""

    def __init__(self, parser: Any, source: str) -> None:
        self.parser = parser
        self.source = source
        self.depth = 0
        self.container: str | None = None  # "anime" or "myinfo" while inside one
        self.record: dict[str, tuple[str, int]] = {}
        self.record_line = 0
        self.field_name: str | None = None
        self.field_line = 0
        self.text: list[str] = []
        self.entries: list[ProfileEntry] = []
        self.titles: dict[int, str] = {}
        self.username: str | None = None

    @property
    def line(self) -> int:
        return int(self.parser.CurrentLineNumber)

    def fail(self, message: str, line: int | None = None) -> NoReturn:
        raise ListFormatError(self.source, message, self.line if line is None else line)

    def reject_dtd(self, *_args: object) -> NoReturn:
        self.fail("DOCTYPE and entity declarations are not allowed in a list file")

    def start(self, name: str, _attrs: dict[str, str]) -> None:
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
        if self.field_name is not None:
            self.text.append(data)

    def end(self, name: str) -> None:
        if self.depth == 3 and self.field_name is not None:
            if name in self.record:
                self.fail(f"<{name}> appears twice in one <{self.container}>")
            self.record[name] = ("".join(self.text), self.field_line)
            self.field_name = None
        elif self.depth == 2 and self.container is not None:
            if self.container == "anime":
                self.finish_anime()
            else:
                user = self.record.get("user_name")
                self.username = (user[0].strip() or None) if user else None
            self.container = None
        self.depth -= 1

    def finish_anime(self) -> None:
        record = self.record
        where = f"<anime> starting on line {self.record_line}"
        if "series_animedb_id" not in record:
            self.fail(f"{where} has no <series_animedb_id>", self.record_line)
        if "my_status" not in record:
            self.fail(f"{where} has no <my_status>", self.record_line)
        try:
            text, line = record["series_animedb_id"]
            anime_id = parse_int_text(text, "<series_animedb_id>", 1)
            text, line = record.get("my_score", ("0", self.record_line))
            score = parse_int_text(text, "<my_score>", 0, 10) if text.strip() else 0
            text, line = record["my_status"]
            status = parse_status(text)
        except ValueError as exc:
            self.fail(str(exc), line)
        self.entries.append(ProfileEntry(anime_id, score, status))
        if "series_title" in record:
            title = record["series_title"][0].strip()
            if title:
                self.titles[anime_id] = title


def read_mal_export(
    data: bytes | BinaryIO, source: str, *, max_bytes: int | None = DEFAULT_MAX_BYTES
) -> ParsedList:
    """Read MAL's "export list" XML (plain or gzip) into entries, titles and the username.

    ``data`` is the file's bytes or a binary stream (read in chunks: large exports stream).
    ``<my_status>`` may be a display name (``Completed``, ``On-Hold``, ``Plan to Watch``, …) or a
    numeric code (1, 2, 3, 4, 6); an empty or absent ``<my_score>`` means unscored. If an anime
    appears twice the later entry wins. Raises :class:`ListFormatError` for anything else.
    """
    stream = io.BytesIO(data) if isinstance(data, bytes | bytearray | memoryview) else data
    parser = expat.ParserCreate()
    handler = _ExportHandler(parser, source)
    parser.buffer_text = True
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = handler.reject_dtd
    parser.EntityDeclHandler = handler.reject_dtd
    parser.UnparsedEntityDeclHandler = handler.reject_dtd
    parser.ExternalEntityRefHandler = handler.reject_dtd
    parser.StartElementHandler = handler.start
    parser.EndElementHandler = handler.end
    parser.CharacterDataHandler = handler.chars
    seen_any = False
    try:
        for chunk in iter_bounded_chunks(stream, source, max_bytes):
            seen_any = True
            parser.Parse(chunk, False)
        if not seen_any:
            raise ListFormatError(source, "empty file; expected a MAL export XML")
        parser.Parse(b"", True)
    except expat.ExpatError as exc:
        message = expat.ErrorString(exc.code)
        raise ListFormatError(source, f"not well-formed XML ({message})", exc.lineno) from exc
    return ParsedList(source, dedupe_entries(handler.entries), handler.titles, handler.username)


def parse_mal_export(
    data: bytes | BinaryIO, source: str, *, max_bytes: int | None = DEFAULT_MAX_BYTES
) -> list[ProfileEntry]:
    """The entries of a MAL export XML; see :func:`read_mal_export` (which also gives titles)."""
    return read_mal_export(data, source, max_bytes=max_bytes).entries


# --- MAL API v2 animelist JSON --------------------------------------------------------------


def _type_name(value: object) -> str:
    return "null" if value is None else type(value).__name__


def _require(
    container: Mapping[str, Any], key: str, kind: type, path: str, where: str, source: str
) -> Any:
    """``container[key]`` if it has type ``kind``; errors read ``source: where: path.key: …``."""
    name = f"{path}.{key}" if path else key
    if key not in container:
        raise ListFormatError(source, f"{where}: {path or 'object'}: missing {key!r}")
    value = container[key]
    # bool is an int subclass, but true is never a valid id or score.
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ListFormatError(
            source,
            f"{where}: {name}: expected {kind.__name__}, got {_type_name(value)} {value!r:.40}",
        )
    return value


def read_mal_api_animelist(payload: Mapping[str, Any] | Sequence[Any], source: str) -> ParsedList:
    """Read MAL API v2 ``/users/{name}/animelist`` pages (one page dict, or a list of pages).

    Uses ``data[].node.id``, ``data[].node.title`` (optional) and
    ``data[].list_status.{status, score}``; other fields are ignored. Types are checked strictly
    (an id or score given as a string is an error). If an anime appears twice, the later wins.
    """
    if isinstance(payload, Mapping):
        pages: Sequence[Any] = [payload]
    elif isinstance(payload, Sequence) and not isinstance(payload, str | bytes):
        pages = payload
    else:
        raise ListFormatError(
            source, f"expected an animelist page (object) or a list of pages, got {payload!r:.40}"
        )
    entries: list[ProfileEntry] = []
    titles: dict[int, str] = {}
    for p, page in enumerate(pages):
        where = f"page {p + 1}" if len(pages) > 1 else "page"
        if not isinstance(page, Mapping):
            raise ListFormatError(source, f"{where}: expected an object, got {_type_name(page)}")
        items = _require(page, "data", list, "", where, source)
        for i, item in enumerate(items):
            path = f"data[{i}]"
            if not isinstance(item, Mapping):
                raise ListFormatError(
                    source, f"{where}: {path}: expected an object, got {_type_name(item)}"
                )
            node = _require(item, "node", dict, path, where, source)
            anime_id = _require(node, "id", int, f"{path}.node", where, source)
            if anime_id < 1:
                raise ListFormatError(
                    source, f"{where}: {path}.node.id: must be >= 1, got {anime_id}"
                )
            status_info = _require(item, "list_status", dict, path, where, source)
            spath = f"{path}.list_status"
            status = _require(status_info, "status", str, spath, where, source)
            if status not in STATUSES:
                raise ListFormatError(
                    source,
                    f"{where}: {spath}.status: unknown status {status!r}; "
                    f"expected one of {STATUSES}",
                )
            score = _require(status_info, "score", int, spath, where, source)
            if not 0 <= score <= 10:
                raise ListFormatError(source, f"{where}: {spath}.score: must be 0-10, got {score}")
            entries.append(ProfileEntry(anime_id, score, status))
            title = node.get("title")
            if isinstance(title, str) and title.strip():
                titles[anime_id] = title.strip()
    return ParsedList(source, dedupe_entries(entries), titles)


def parse_mal_api_animelist(
    payload: Mapping[str, Any] | Sequence[Any], source: str
) -> list[ProfileEntry]:
    """The entries of MAL API animelist pages; see :func:`read_mal_api_animelist`."""
    return read_mal_api_animelist(payload, source).entries


def load_json_bytes(data: bytes, source: str) -> Any:
    """Decode JSON bytes (UTF-8, BOM allowed); errors become :class:`ListFormatError`."""
    try:
        return json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise ListFormatError(source, f"not UTF-8 text ({exc.reason})") from exc
    except json.JSONDecodeError as exc:
        raise ListFormatError(source, f"invalid JSON ({exc.msg})", exc.lineno) from exc


# --- either, for uploads --------------------------------------------------------------------


def read_list_upload(
    data: bytes, source: str, *, max_bytes: int | None = DEFAULT_MAX_BYTES
) -> ParsedList:
    """Read an uploaded list of unknown kind: MAL export XML or MAL API JSON, plain or gzip."""
    raw = read_bounded(data, source, max_bytes)
    start = raw.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if start == b"<":
        return read_mal_export(raw, source, max_bytes=None)
    if start in (b"{", b"["):
        return read_mal_api_animelist(load_json_bytes(raw, source), source)
    raise ListFormatError(
        source, "unrecognised list file; expected MAL's export XML or MAL API animelist JSON"
    )
