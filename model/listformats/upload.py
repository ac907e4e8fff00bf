"""An uploaded list of unknown kind: MAL export XML or MAL API JSON, plain or gzip."""

from __future__ import annotations

from model.listformats.api_json import load_json_bytes, read_mal_api_animelist
from model.listformats.bounded import DEFAULT_MAX_BYTES, read_bounded
from model.listformats.export_xml import read_mal_export
from model.listformats.fields import ParsedList
from model.profile import ListFormatError


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
