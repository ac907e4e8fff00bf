"""Reading an uploaded MAL list (export XML or API JSON, optionally gzip), limited and validated.

Every refusal is one sentence saying what is wrong and what to do; a limit that is hit is named.
"""

from __future__ import annotations

from bot.services.errors import ImportRejected
from model.listformats import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_ENTRIES,
    MAX_UPLOAD_BYTES,
    ListTooLarge,
    NothingToImport,
    ParsedList,
    read_import,
)
from model.profile import ListFormatError

# MAX_UPLOAD_BYTES (the largest attachment accepted) is model.listformats' own, so the
# read-list command refuses what /import refuses.
MAX_LIST_BYTES = DEFAULT_MAX_BYTES
"""Largest list after decompression: 60 MB, twice today's ~975 bytes/entry at MAX_ENTRIES."""
MAX_ENTRIES = DEFAULT_MAX_ENTRIES


def upload_too_large(size: int) -> str:
    """The refusal for an attachment over :data:`MAX_UPLOAD_BYTES` (one sentence)."""
    return (
        f"That file is {size / 1e6:.1f} MB, over the {MAX_UPLOAD_BYTES >> 20} MB upload limit; "
        "upload the .xml.gz file MyAnimeList gives you without unpacking it."
    )


def read_upload(data: bytes, filename: str) -> ParsedList:
    """Parse an uploaded list as :func:`model.listformats.read_import` does (so does
    ``python -m model read-list``); every problem becomes :class:`ImportRejected` with a reason."""
    try:
        return read_import(data, filename[:100] or "upload")
    except ListTooLarge as exc:
        if exc.limit == "upload":
            raise ImportRejected(upload_too_large(len(data))) from exc
        if exc.limit == "entries":
            raise ImportRejected(
                f"That list has more than {MAX_ENTRIES:,} entries, the most I can import; "
                "link your MyAnimeList username with /link instead."
            ) from exc
        raise ImportRejected(
            f"That file unpacks to more than {MAX_LIST_BYTES / 1e6:.0f} MB, far more than a "
            f"MyAnimeList export of {MAX_ENTRIES:,} entries; upload the file MyAnimeList's "
            "export page gives you, unchanged."
        ) from exc
    except NothingToImport as exc:
        if exc.skipped:
            raise ImportRejected(
                f"None of the {exc.skipped:,} entries in that file has a MyAnimeList id, "
                "so there is nothing to import."
            ) from exc
        raise ImportRejected("That export has no anime entries.") from exc
    except ListFormatError as exc:
        raise ImportRejected(
            f"That file is not a MyAnimeList export I can read: {str(exc)[:300]}"
        ) from exc
