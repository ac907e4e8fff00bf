"""Saved MAL API v2 ``/users/{name}/animelist`` pages (JSON)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from model.listformats.dedupe import dedupe_entries
from model.listformats.fields import ParsedList
from model.profile import STATUSES, ListFormatError, ProfileEntry


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
