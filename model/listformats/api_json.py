"""Saved MAL API v2 ``/users/{name}/animelist`` pages (JSON), and the one reader of a list item.

:func:`parse_list_item` is used by both the upload/training readers here and the live MAL client
(``common.mal.models.MalListEntry``), so a page means the same wherever it comes from. The rule:

- strict on what the model relies on: ``node.id`` an int >= 1; ``list_status.status`` one of
  MAL's five anime statuses; ``list_status.score`` (absent = 0) an int 0-10. A manga status
  (``reading``, ``plan_to_read``) is refused: it means a manga list, whose ids are manga ids and
  would silently name the wrong anime.
- an item without ``list_status`` (MAL leaves it out when ``fields=list_status`` is not asked
  for) is on the list with no status: read as completed and unscored, as the datasets without
  a status are, and counted (:attr:`ParsedList.assumed_completed`) so the member is told.
- lenient on the rest (episodes, rewatching, update time, title): odd values become defaults.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from model.listformats.entries import EntryCollector
from model.listformats.fields import ParsedList
from model.profile import STATUSES, ListFormatError, ProfileEntry

MANGA_STATUSES: Final = ("reading", "plan_to_read")


@dataclass(frozen=True, slots=True)
class ApiListItem:
    """One element of an animelist page's ``data`` array, checked."""

    anime_id: int
    status: str
    score: int
    title: str | None = None
    num_episodes_watched: int = 0
    is_rewatching: bool = False
    updated_at: str | None = None
    has_list_status: bool = True

    def to_profile_entry(self) -> ProfileEntry:
        return ProfileEntry(self.anime_id, self.score, self.status)


def _type_name(value: object) -> str:
    return "null" if value is None else type(value).__name__


def _get(container: Mapping[str, Any], key: str, kind: type, path: str) -> Any:
    """``container[key]`` if it has type ``kind``; ``ValueError`` reading ``path.key: …``."""
    name = f"{path}.{key}" if path else key
    if key not in container:
        raise ValueError(f"{path or 'object'}: missing {key!r}")
    value = container[key]
    # bool is an int subclass, but true is never a valid id or score.
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ValueError(f"{name}: expected {kind.__name__}, got {_type_name(value)} {value!r:.40}")
    return value


def _require(
    container: Mapping[str, Any], key: str, kind: type, path: str, where: str, source: str
) -> Any:
    try:
        return _get(container, key, kind, path)
    except ValueError as exc:
        raise ListFormatError(source, f"{where}: {exc}") from None


def parse_list_item(item: object, path: str = "item") -> ApiListItem:
    """One animelist item by the rule in the module docstring; ``ValueError`` naming the field."""
    if not isinstance(item, Mapping):
        raise ValueError(f"{path}: expected an object, got {_type_name(item)}")
    node = _get(item, "node", dict, path)
    anime_id = _get(node, "id", int, f"{path}.node")
    if anime_id < 1:
        raise ValueError(f"{path}.node.id: must be >= 1, got {anime_id}")
    title = node.get("title")
    title = title.strip() or None if isinstance(title, str) else None
    info = item.get("list_status")
    if info is None:
        return ApiListItem(anime_id, "completed", 0, title, has_list_status=False)
    spath = f"{path}.list_status"
    if not isinstance(info, Mapping):
        raise ValueError(f"{spath}: expected an object, got {_type_name(info)} {info!r:.40}")
    status = _get(info, "status", str, spath)
    if status in MANGA_STATUSES:
        raise ValueError(
            f"{spath}.status: {status!r} is a manga list status; expected an anime list"
        )
    if status not in STATUSES:
        raise ValueError(f"{spath}.status: unknown status {status!r}; expected one of {STATUSES}")
    score = _get(info, "score", int, spath) if "score" in info else 0
    if not 0 <= score <= 10:
        raise ValueError(f"{spath}.score: must be 0-10, got {score}")
    episodes = info.get("num_episodes_watched")
    stamp = info.get("updated_at")
    return ApiListItem(
        anime_id,
        status,
        score,
        title,
        num_episodes_watched=episodes
        if isinstance(episodes, int) and not isinstance(episodes, bool) and episodes > 0
        else 0,
        is_rewatching=info.get("is_rewatching") is True,
        updated_at=stamp if isinstance(stamp, str) and stamp else None,
    )


def read_mal_api_animelist(
    payload: Mapping[str, Any] | Sequence[Any], source: str, *, max_entries: int | None = None
) -> ParsedList:
    """Read MAL API v2 ``/users/{name}/animelist`` pages (one page dict, or a list of pages).

    Each item is read by :func:`parse_list_item`; other fields are ignored. Types are checked
    strictly (an id or score given as a string is an error). If an anime appears twice, the
    later wins (see :mod:`model.listformats.entries`).
    """
    if isinstance(payload, Mapping):
        pages: Sequence[Any] = [payload]
    elif isinstance(payload, Sequence) and not isinstance(payload, str | bytes):
        pages = payload
    else:
        raise ListFormatError(
            source, f"expected an animelist page (object) or a list of pages, got {payload!r:.40}"
        )
    collector = EntryCollector(source, max_entries)
    assumed = 0
    for p, page in enumerate(pages):
        where = f"page {p + 1}" if len(pages) > 1 else "page"
        if not isinstance(page, Mapping):
            raise ListFormatError(source, f"{where}: expected an object, got {_type_name(page)}")
        items = _require(page, "data", list, "", where, source)
        for i, item in enumerate(items):
            try:
                parsed = parse_list_item(item, f"data[{i}]")
            except ValueError as exc:
                raise ListFormatError(source, f"{where}: {exc}") from None
            assumed += not parsed.has_list_status
            collector.add(parsed.to_profile_entry(), None, parsed.title)
    return ParsedList(
        source,
        collector.result(),
        collector.titles,
        skipped=collector.skipped,
        assumed_completed=assumed,
        format="mal_api_json",
    )


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
