"""Bounded reading of untrusted list files: gzip by magic, decompressed in bounded steps.

A gzip bomb stops at ``max_bytes`` of output, after at most that much work.
"""

from __future__ import annotations

import gzip
import io
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO, Final, Literal, NoReturn

from model.listformats.fields import DEFAULT_MAX_BYTES
from model.profile import ListFormatError

GZIP_MAGIC: Final = b"\x1f\x8b"
CHUNK_SIZE: Final = 64 * 1024


class ListTooLarge(ListFormatError):
    """A list over a size limit: ``limit`` says which (``"upload"``: the file as given,
    ``"bytes"``: uncompressed, or ``"entries"``) and ``maximum`` its value, so a caller can say
    which limit was hit and what to do."""

    def __init__(
        self,
        source: str,
        message: str,
        *,
        limit: Literal["upload", "bytes", "entries"],
        maximum: int,
    ) -> None:
        super().__init__(source, message)
        self.limit = limit
        self.maximum = maximum


def _too_large(source: str, max_bytes: int) -> NoReturn:
    raise ListTooLarge(
        source,
        f"larger than the limit of {max_bytes:,} bytes uncompressed",
        limit="bytes",
        maximum=max_bytes,
    )


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
