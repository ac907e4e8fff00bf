"""Reading an uploaded MAL list export (XML, optionally gzip), size-limited and validated."""

from __future__ import annotations

from bot.services.errors import ImportRejected
from model.listformats import ParsedList, read_list_upload
from model.profile import ListFormatError

MAX_UPLOAD_BYTES = 8 * 1024 * 1024
"""Largest attachment accepted (MAL's .xml.gz export of a 10,000-entry list is well below)."""
MAX_LIST_BYTES = 16 * 1024 * 1024
"""Largest list after decompression (a gzip bomb stops here)."""
MAX_ENTRIES = 30_000


def read_upload(data: bytes, filename: str) -> ParsedList:
    """Parse an uploaded export; every problem becomes :class:`ImportRejected` with a reason."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise ImportRejected(f"That file is too large (the limit is {MAX_UPLOAD_BYTES >> 20} MB).")
    try:
        parsed = read_list_upload(data, filename[:100] or "upload", max_bytes=MAX_LIST_BYTES)
    except ListFormatError as exc:
        raise ImportRejected(
            f"That file is not a MyAnimeList export I can read: {str(exc)[:300]}"
        ) from exc
    if not parsed.entries:
        raise ImportRejected("That export has no anime entries.")
    if len(parsed.entries) > MAX_ENTRIES:
        raise ImportRejected(f"That list has more than {MAX_ENTRIES:,} entries.")
    return parsed
