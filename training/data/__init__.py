"""Training data: every supported list source becomes ``{user: [ProfileEntry, ...]}``.

Formats (``load_profiles(path, format=...)``; ``"auto"`` detects them):

========== ====================================================================================
kaggle     CooperUnion "Anime Recommendations Database": a directory with ``rating.csv``, or
           the file (``user_id,anime_id,rating``; −1 = unscored; no status) — ``kaggle.py``
kaggle-2020 hernan4444 "Anime Recommendation Database 2020": ``animelist.csv`` (``user_id,
           anime_id,score,watching_status,watched_episodes``) or ``rating_complete.csv``, plain
           or gzip, streamed — ``kaggle2020.py``
azathoth   azathoth42 "MyAnimeList Dataset" ``animelists_cleaned.csv`` (``username, anime_id,
           my_score, my_status``, …), plain or gzip, streamed — ``azathoth.py``
mal-xml    MAL "export list" XML files (``*.xml``, ``*.xml.gz``): a file or a directory —
           ``mal_xml.py``
mal-json   saved MAL API v2 animelist pages (``*.json``, ``*.json.gz``): a file per user, or a
           folder per user of page files — ``mal_json.py``
collected  the collector's output directory of ``*.jsonl.gz`` — ``collected.py``
========== ====================================================================================

Formats are told by the whole CSV header (and ``rating_complete.csv`` by its name, since its
header is CooperUnion's). A folder is read file by file (:mod:`training.data.folder`): one
unreadable file is skipped and reported, the others are read. Malformed rows or files raise
:class:`model.profile.ListFormatError` naming the file and line.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Final

from model.listformats import open_list_file
from model.profile import ListFormatError, ProfileEntry
from training.data.folder import FileReport, ReadReport

log = logging.getLogger(__name__)

__all__ = [
    "FORMATS",
    "FileReport",
    "ReadReport",
    "detect_format",
    "index_users",
    "load_profiles",
    "read_profiles",
]

FORMATS: Final = ("kaggle", "kaggle-2020", "azathoth", "mal-xml", "mal-json", "collected")
KAGGLE_RATINGS: Final = "rating.csv"
KAGGLE_HEADER: Final = ("user_id", "anime_id", "rating")
_SNIFF_BYTES: Final = 64 * 1024


def _first_line(path: Path) -> str:
    """The file's first line (gunzipped if needed), for sniffing; '' when unreadable."""
    try:
        with open_list_file(path) as handle:
            head = handle.read(_SNIFF_BYTES)
    except (OSError, EOFError):
        return ""
    return head.decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n").split("\n", 1)[0]


def _detect_file(path: Path) -> str | None:
    from training.data.azathoth import is_azathoth_header
    from training.data.collected import is_collected_file
    from training.data.kaggle2020 import ANIMELIST_COLUMNS, is_rating_complete
    from training.data.mal_json import is_json_file
    from training.data.mal_xml import is_xml_file

    if is_collected_file(path):
        return "collected"
    if is_xml_file(path):
        return "mal-xml"
    if is_json_file(path):
        return "mal-json"
    line = _first_line(path)
    if line.startswith("<"):
        return "mal-xml"
    if line.startswith(("{", "[")):
        try:
            first = json.loads(line)
        except json.JSONDecodeError:
            return "mal-json"  # a page spread over several lines
        return "collected" if isinstance(first, dict) and "http_status" in first else "mal-json"
    header = tuple(h.strip() for h in line.rstrip("\r").split(","))
    if header == ANIMELIST_COLUMNS:
        return "kaggle-2020"
    if header == KAGGLE_HEADER:
        return "kaggle-2020" if is_rating_complete(path) else "kaggle"
    if is_azathoth_header(list(header)):
        return "azathoth"
    return None


def _detect_dir(path: Path) -> str:
    from training.data.folder import _units

    found = list(dict.fromkeys(f for _, f, why in _units(path) if f is not None and why is None))
    if len(found) == 1:
        return found[0]
    if found:
        raise ListFormatError(
            str(path),
            f"holds several list formats ({', '.join(found)}); load_profiles reads them all",
        )
    raise ListFormatError(
        str(path),
        "no list data found; expected rating.csv (Kaggle CooperUnion), animelist.csv or "
        "rating_complete.csv (Kaggle 2020), animelists_cleaned.csv (azathoth42), *.jsonl.gz "
        "(collector), *.xml[.gz] (MAL export) or *.json[.gz] (MAL API)",
    )


def detect_format(path: str | Path) -> str:
    """Which of :data:`FORMATS` ``path`` (file or directory) holds; ListFormatError if none."""
    path = Path(path)
    if not path.exists():
        raise ListFormatError(str(path), "no such file or directory")
    if path.is_dir():
        return _detect_dir(path)
    found = _detect_file(path)
    if found is None:
        raise ListFormatError(
            str(path),
            "unknown list format; expected a Kaggle rating.csv (user_id,anime_id,rating), a "
            "Kaggle 2020 animelist.csv (user_id,anime_id,score,watching_status,"
            "watched_episodes), an "
            "azathoth42 animelists CSV (username,anime_id,…,my_score,my_status), MAL export XML, "
            "MAL API animelist JSON or collector JSONL",
            1,
        )
    return found


def load_profiles(path: str | Path, format: str = "auto") -> dict[str, list[ProfileEntry]]:
    """Every user's list from ``path`` in one of :data:`FORMATS` (``"auto"``: detected).

    Keys are strings: usernames, or the Kaggle datasets' numeric user ids as text. A folder is
    read by :func:`read_profiles` (file by file; its report is logged). See :func:`index_users`
    for the integer ids the dataset builder takes.
    """
    path = Path(path)
    if format != "auto" and format not in FORMATS:
        raise ValueError(f"unknown format {format!r}; expected 'auto' or one of {FORMATS}")
    if path.is_dir():
        profiles, report = read_profiles(path, format)
        for file in report.files:
            if file.skipped is not None and file.skipped.startswith("unreadable"):
                log.warning("%s", file.line())
        return profiles
    fmt = detect_format(path) if format == "auto" else format
    from training.data.folder import _read_unit

    if fmt == "collected":
        from training.data.collected import load_collected

        return load_collected(path)
    return _read_unit(path, fmt)[0]


def read_profiles(
    path: str | Path, format: str = "auto"
) -> tuple[dict[str, list[ProfileEntry]], ReadReport]:
    """A folder's lists and its per-file :class:`~training.data.folder.ReadReport`.

    Raises :class:`ListFormatError` only when nothing at all could be read (the report's first
    unreadable file, or "no list data found").
    """
    from training.data.folder import read_folder

    path = Path(path)
    if not path.exists():
        raise ListFormatError(str(path), "no such file or directory")
    if not path.is_dir():
        return load_profiles(path, format), ReadReport(str(path))
    profiles, report = read_folder(path, format)
    if not report.read:
        failed = [f for f in report.files if f.skipped and f.skipped.startswith("unreadable")]
        if failed:
            raise ListFormatError(str(path), f"no file could be read; {failed[0].line()}")
        _detect_dir(path)  # raises "no list data found"
    return profiles, report


def index_users(
    profiles: Mapping[str, Sequence[ProfileEntry]],
) -> tuple[dict[int, list[ProfileEntry]], list[str]]:
    """Number users 0, 1, … in key order: (``{index: entries}``, ``names`` with names[index])."""
    names = list(profiles)
    return {i: list(profiles[name]) for i, name in enumerate(names)}, names
