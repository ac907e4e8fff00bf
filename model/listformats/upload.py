"""An uploaded list of unknown kind: MAL export XML or MAL API JSON, plain or gzip.

:func:`read_import` is what ``/import`` reads (and ``python -m model read-list``): the upload
limit, the default byte and entry limits, and at least one entry to store.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Iterator
from typing import Any

from model.listformats.api_json import load_json_bytes, read_mal_api_animelist
from model.listformats.bounded import ListTooLarge, iter_bounded_chunks
from model.listformats.export_xml import read_mal_export
from model.listformats.fields import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_ENTRIES,
    MAX_UPLOAD_BYTES,
    ParsedList,
)
from model.profile import ListFormatError

_LEADING = b"\xef\xbb\xbf \t\r\n"


class NothingToImport(ListFormatError):
    """A list file read without error that holds no entry to store; ``skipped`` counts the
    entries it had that were left out (all without a MyAnimeList id)."""

    def __init__(self, source: str, skipped: int) -> None:
        if skipped:
            message = (
                f"none of its {skipped:,} entries has a MyAnimeList id, so there is nothing "
                "to import"
            )
        else:
            message = "the list has no anime entries, so there is nothing to import"
        super().__init__(source, message)
        self.skipped = skipped


class _ChunkStream(io.RawIOBase):
    """A read-only binary stream over an iterator of chunks (feeds the XML parser as it goes)."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._buffer = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        while not self._buffer:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._buffer = chunk
        n = min(len(view), len(self._buffer))
        view[:n] = self._buffer[:n]
        self._buffer = self._buffer[n:]
        return n


def read_list_upload(
    data: bytes,
    source: str,
    *,
    max_bytes: int | None = DEFAULT_MAX_BYTES,
    max_entries: int | None = DEFAULT_MAX_ENTRIES,
) -> ParsedList:
    """Read an uploaded list of unknown kind: MAL export XML or MAL API JSON, plain or gzip.

    The kind is told by the first non-blank byte. XML is parsed as it is decompressed (memory
    does not grow with the file); JSON is decoded whole. Over ``max_bytes`` uncompressed or
    ``max_entries`` distinct anime, :class:`~model.listformats.bounded.ListTooLarge` says which.
    """
    chunks = iter_bounded_chunks(io.BytesIO(data), source, max_bytes)
    head = b""
    for chunk in chunks:
        head += chunk
        if head.lstrip(_LEADING):
            break
    start = head.lstrip(_LEADING)[:1]
    rest = itertools.chain([head], chunks)
    if start == b"<":
        stream = io.BufferedReader(_ChunkStream(rest))
        return read_mal_export(stream, source, max_bytes=None, max_entries=max_entries)
    if start in (b"{", b"["):
        payload = load_json_bytes(b"".join(rest), source)
        return read_mal_api_animelist(payload, source, max_entries=max_entries)
    raise ListFormatError(
        source, "unrecognised list file; expected MAL's export XML or MAL API animelist JSON"
    )


def read_import(data: bytes, source: str) -> ParsedList:
    """A member's list file as ``/import`` reads it, or the one-sentence refusal.

    Over :data:`~model.listformats.fields.MAX_UPLOAD_BYTES` as given, over the default byte or
    entry limit (:class:`ListTooLarge`, ``limit`` says which), unreadable
    (:class:`ListFormatError`) or with no entry to store (:class:`NothingToImport`).
    """
    if len(data) > MAX_UPLOAD_BYTES:
        raise ListTooLarge(
            source,
            f"{len(data):,} bytes, over the upload limit of {MAX_UPLOAD_BYTES:,} bytes",
            limit="upload",
            maximum=MAX_UPLOAD_BYTES,
        )
    parsed = read_list_upload(
        data, source, max_bytes=DEFAULT_MAX_BYTES, max_entries=DEFAULT_MAX_ENTRIES
    )
    if not parsed.entries:
        raise NothingToImport(source, len(parsed.skipped))
    return parsed
