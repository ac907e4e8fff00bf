"""Training data: every supported list source becomes ``{user: [ProfileEntry, ...]}``.

Formats (``load_profiles(path, format=...)``; ``"auto"`` detects them):

========== ====================================================================================
kaggle     CooperUnion "Anime Recommendations Database": a directory with ``rating.csv``, or
           the file (``user_id,anime_id,rating``; −1 = unscored; no status) — ``kaggle.py``
azathoth   azathoth42 "MyAnimeList Dataset" ``animelists_cleaned.csv`` (``username, anime_id,
           my_score, my_status``, …), plain or gzip, streamed — ``azathoth.py``
mal-xml    MAL "export list" XML files (``*.xml``, ``*.xml.gz``): a file or a directory —
           ``mal_xml.py``
mal-json   saved MAL API v2 animelist pages (``*.json``, ``*.json.gz``): a file per user, or a
           folder per user of page files — ``mal_json.py``
collected  the collector's output directory of ``*.jsonl.gz`` — ``collected.py``
========== ====================================================================================

Malformed rows or files raise :class:`model.profile.ListFormatError` naming the file and line.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Final

from model.listformats import open_list_file
from model.profile import ListFormatError, ProfileEntry

FORMATS: Final = ("kaggle", "azathoth", "mal-xml", "mal-json", "collected")
KAGGLE_RATINGS: Final = "rating.csv"
KAGGLE_HEADER: Final = ("user_id", "anime_id", "rating")
AZATHOTH_NAMES: Final = ("animelists_cleaned.csv", "animelists_cleaned.csv.gz")
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
    header = [h.strip() for h in line.rstrip("\r").split(",")]
    if tuple(header[:3]) == KAGGLE_HEADER:
        return "kaggle"
    if is_azathoth_header(header):
        return "azathoth"
    return None


def _azathoth_file(directory: Path) -> Path | None:
    """``animelists_cleaned.csv[.gz]``, else the directory's only CSV with the azathoth header."""
    from training.data.azathoth import is_azathoth_header

    for name in AZATHOTH_NAMES:
        if (directory / name).is_file():
            return directory / name
    csvs = [
        p
        for p in sorted(directory.iterdir())
        if p.is_file()
        and p.name.lower().endswith((".csv", ".csv.gz"))
        and is_azathoth_header(_first_line(p).split(","))
    ]
    return csvs[0] if len(csvs) == 1 else None


def _detect_dir(path: Path) -> str:
    from training.data.collected import is_collected_file
    from training.data.mal_json import is_json_file
    from training.data.mal_xml import is_xml_file

    if (path / KAGGLE_RATINGS).is_file():
        return "kaggle"
    if _azathoth_file(path) is not None:
        return "azathoth"
    files = [p for p in path.iterdir() if p.is_file()]
    found = []
    if any(is_collected_file(p) for p in files):
        found.append("collected")
    if any(is_xml_file(p) for p in files):
        found.append("mal-xml")
    if any(is_json_file(p) for p in files) or any(
        p.is_dir() and any(is_json_file(q) for q in p.iterdir()) for p in path.iterdir()
    ):
        found.append("mal-json")
    if len(found) == 1:
        return found[0]
    if found:
        raise ListFormatError(
            str(path), f"holds several list formats ({', '.join(found)}); pass format= one of them"
        )
    raise ListFormatError(
        str(path),
        "no list data found; expected rating.csv (Kaggle CooperUnion), animelists_cleaned.csv "
        "(azathoth42), *.jsonl.gz (collector), *.xml[.gz] (MAL export) or *.json[.gz] (MAL API)",
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
            "unknown list format; expected a Kaggle rating.csv (user_id,anime_id,rating), an "
            "azathoth42 animelists CSV (username,anime_id,…,my_score,my_status), MAL export XML, "
            "MAL API animelist JSON or collector JSONL",
            1,
        )
    return found


def load_profiles(path: str | Path, format: str = "auto") -> dict[str, list[ProfileEntry]]:
    """Every user's list from ``path`` in one of :data:`FORMATS` (``"auto"``: detected).

    Keys are strings: usernames, or Kaggle's numeric user ids as text. See
    :func:`index_users` for the integer ids the dataset builder takes.
    """
    path = Path(path)
    fmt = detect_format(path) if format == "auto" else format
    if fmt == "kaggle":
        from training.data import kaggle

        ratings = path / KAGGLE_RATINGS if path.is_dir() else path
        return {str(user): entries for user, entries in kaggle.load_profiles(ratings).items()}
    if fmt == "azathoth":
        from training.data.azathoth import load_azathoth

        if path.is_dir():
            found = _azathoth_file(path)
            if found is None:
                raise ListFormatError(str(path), "no animelists_cleaned.csv in this directory")
            path = found
        return load_azathoth(path)
    if fmt == "mal-xml":
        from training.data.mal_xml import load_mal_xml

        return load_mal_xml(path)
    if fmt == "mal-json":
        from training.data.mal_json import load_mal_json

        return load_mal_json(path)
    if fmt == "collected":
        from training.data.collected import load_collected

        return load_collected(path)
    raise ValueError(f"unknown format {format!r}; expected 'auto' or one of {FORMATS}")


def index_users(
    profiles: Mapping[str, Sequence[ProfileEntry]],
) -> tuple[dict[int, list[ProfileEntry]], list[str]]:
    """Number users 0, 1, … in key order: (``{index: entries}``, ``names`` with names[index])."""
    names = list(profiles)
    return {i: list(profiles[name]) for i, name in enumerate(names)}, names
