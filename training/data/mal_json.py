"""Loader for saved MAL API v2 animelist JSON pages (``*.json``, ``*.json.gz``).

Layouts:

- a file holds one member's list: one page (``{"data": [...], "paging": {...}}``) or a JSON
  array of pages; the user key is the file name without ``.json``/``.json.gz``;
- a directory holds such files (one member each) and/or sub-directories named for a member
  whose files are that member's pages, read in file-name order.

Each page is checked by :func:`model.listformats.read_mal_api_animelist`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from model.listformats import load_json_bytes, read_bounded, read_mal_api_animelist
from model.profile import ListFormatError, ProfileEntry
from training.data.mal_xml import file_stem

JSON_SUFFIXES = (".json", ".json.gz")


def is_json_file(path: Path) -> bool:
    """Whether a file name says JSON (plain or gzip)."""
    return path.name.lower().endswith(JSON_SUFFIXES)


def read_json_file(path: Path) -> Any:
    """A JSON file's value (plain or gzip by magic); errors name the file and line."""
    try:
        with path.open("rb") as handle:
            data = read_bounded(handle, str(path), max_bytes=None)
    except OSError as exc:
        raise ListFormatError(str(path), f"cannot read: {exc.strerror or exc}") from exc
    return load_json_bytes(data, str(path))


def _pages(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


def _read_user(files: list[Path]) -> list[ProfileEntry]:
    entries: dict[int, ProfileEntry] = {}
    for file in files:
        for entry in read_mal_api_animelist(_pages(read_json_file(file)), str(file)).entries:
            entries.pop(entry.anime_id, None)  # a later page's entry wins, as within a page
            entries[entry.anime_id] = entry
    return list(entries.values())


def load_mal_json(path: str | Path) -> dict[str, list[ProfileEntry]]:
    """Saved animelist pages (a file, or a directory as above) as ``{user: entries}``."""
    path = Path(path)
    if not path.is_dir():
        return {file_stem(path, JSON_SUFFIXES): _read_user([path])}
    profiles: dict[str, list[ProfileEntry]] = {}
    for child in sorted(path.iterdir()):
        if child.is_dir():
            files = sorted(p for p in child.iterdir() if p.is_file() and is_json_file(p))
            user = child.name
        elif child.is_file() and is_json_file(child):
            files = [child]
            user = file_stem(child, JSON_SUFFIXES)
        else:
            continue
        if not files:
            continue
        if user in profiles:
            raise ListFormatError(str(child), f"user {user!r} appears both as a file and a folder")
        profiles[user] = _read_user(files)
    if not profiles:
        raise ListFormatError(str(path), "no *.json or *.json.gz animelist files in this directory")
    return profiles
