"""Readers for members' list files: MAL's "export list" XML and MAL API v2 animelist JSON.

The bot's ``/import`` command and the training loaders both use these, so they are pure stdlib
and strict: every malformed element, field or file raises :class:`~model.profile.ListFormatError`
naming the source and, where there is one, the line.

Untrusted input is handled defensively: gzip is detected by its magic bytes and decompressed in
bounded steps (a gzip bomb stops at ``max_bytes``), and the XML is parsed with expat directly,
rejecting any DOCTYPE, entity declaration or external entity (no billion laughs, no XXE).

Modules: ``fields`` (statuses, integer text, :class:`ParsedList`), ``bounded`` (gzip and size
limits), ``entries`` (one per id, the duplicate rule), ``export_xml``, ``api_json`` (and the
one reader of an API list item), ``upload`` (either, by first byte; ``read_import``: what
``/import`` and ``python -m model read-list`` read).
"""

from __future__ import annotations

from model.listformats.api_json import (
    MANGA_STATUSES,
    ApiListItem,
    load_json_bytes,
    parse_list_item,
    parse_mal_api_animelist,
    read_mal_api_animelist,
)
from model.listformats.bounded import (
    CHUNK_SIZE,
    GZIP_MAGIC,
    ListTooLarge,
    iter_bounded_chunks,
    open_list_file,
    read_bounded,
)
from model.listformats.export_xml import parse_mal_export, read_mal_export
from model.listformats.fields import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_ENTRIES,
    EXPORT_BYTES_PER_ENTRY,
    MAX_UPLOAD_BYTES,
    STATUS_CODES,
    ListFormatName,
    ParsedList,
    SkippedEntry,
    parse_int_text,
    parse_status,
)
from model.listformats.upload import NothingToImport, read_import, read_list_upload

__all__ = [
    "CHUNK_SIZE",
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_ENTRIES",
    "EXPORT_BYTES_PER_ENTRY",
    "GZIP_MAGIC",
    "MANGA_STATUSES",
    "MAX_UPLOAD_BYTES",
    "STATUS_CODES",
    "ApiListItem",
    "ListFormatName",
    "ListTooLarge",
    "NothingToImport",
    "ParsedList",
    "SkippedEntry",
    "iter_bounded_chunks",
    "load_json_bytes",
    "open_list_file",
    "parse_int_text",
    "parse_list_item",
    "parse_mal_api_animelist",
    "parse_mal_export",
    "parse_status",
    "read_bounded",
    "read_import",
    "read_list_upload",
    "read_mal_api_animelist",
    "read_mal_export",
]
