"""Reading a folder of mixed list files, file by file, with a report of what was read and skipped.

Every file (and every sub-folder of MAL API pages) is a unit read on its own: one unreadable
file is reported and skipped, the others are still read. No format takes precedence over
another: a folder holding ``rating.csv`` and MAL exports reads both. Rules:

- files that are not list data (``anime.csv``, ``watching_status.csv``, a README) are skipped and
  named in the report;
- ``rating_complete.csv`` beside ``animelist.csv`` (Kaggle 2020) is skipped: it is a subset;
- a username already read from an earlier file (name order) keeps the earlier list, and the
  later file's copy is reported (collector files are merged among themselves by the latest
  fetch, as :mod:`training.data.collected` does, and fill in users no other file gave);
- the numeric user ids of the datasets (Kaggle CooperUnion and 2020) are local to their file: in a
  folder with more than one list unit they are keyed ``"<file name>:<id>"``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from model.profile import ListFormatError, ProfileEntry

DATASET_FORMATS = ("kaggle", "kaggle-2020")


@dataclass
class FileReport:
    """What happened to one file or sub-folder."""

    path: str
    format: str | None
    users: int = 0
    entries: int = 0
    skipped_rows: int = 0
    duplicate_users: list[str] = field(default_factory=list)
    skipped: str | None = None  # why the whole file was not read (one sentence)

    def line(self) -> str:
        name = Path(self.path).name
        if self.skipped is not None:
            return f"skipped {name}: {self.skipped}"
        text = f"read {name} ({self.format}): {self.users:,} users, {self.entries:,} entries"
        if self.skipped_rows:
            text += f", {self.skipped_rows:,} entries or rows skipped"
        if self.duplicate_users:
            text += f", {len(self.duplicate_users):,} users already read from another file"
        return text


@dataclass
class ReadReport:
    """Per file of a folder: read (format, users, entries, skipped) or skipped (why)."""

    root: str
    files: list[FileReport] = field(default_factory=list)

    @property
    def read(self) -> list[FileReport]:
        return [f for f in self.files if f.skipped is None]

    def summary(self) -> str:
        users = sum(f.users - len(f.duplicate_users) for f in self.read)
        head = f"{self.root}: read {len(self.read)} of {len(self.files)} files, {users:,} users"
        return "\n".join([head, *("  " + f.line() for f in self.files)])

    def to_json(self) -> dict[str, Any]:
        return {"root": self.root, "files": [f.__dict__ for f in self.files]}


def _units(path: Path) -> list[tuple[Path, str | None, str | None]]:
    """(file or folder, format or None, why skipped or None) for every child of ``path``."""
    from training.data import _detect_file
    from training.data.kaggle2020 import is_rating_complete
    from training.data.mal_json import is_json_file

    units: list[tuple[Path, str | None, str | None]] = []
    for child in sorted(path.iterdir()):
        if child.is_dir():
            if any(p.is_file() and is_json_file(p) for p in child.iterdir()):
                units.append((child, "mal-json", None))
            else:
                units.append((child, None, "a folder without *.json animelist pages"))
            continue
        fmt = _detect_file(child)
        units.append((child, fmt, None if fmt else "not a list file of a known format"))
    animelist = any(f == "kaggle-2020" and not is_rating_complete(p) for p, f, _ in units)
    return [
        (p, f, "a subset of animelist.csv, which is read instead")
        if animelist and f == "kaggle-2020" and is_rating_complete(p)
        else (p, f, why)
        for p, f, why in units
    ]


def _read_unit(path: Path, fmt: str) -> tuple[dict[str, list[ProfileEntry]], int]:
    """One unit's lists and the entries or rows it skipped."""
    if fmt == "kaggle":
        from training.data import kaggle

        return {str(u): e for u, e in kaggle.load_profiles(path).items()}, 0
    if fmt == "kaggle-2020":
        from training.data.kaggle2020 import load_kaggle2020

        return load_kaggle2020(path)
    if fmt == "azathoth":
        from training.data.azathoth import load_azathoth

        return load_azathoth(path), 0
    if fmt == "mal-xml":
        from training.data.mal_xml import XML_SUFFIXES, file_stem, read_export_file

        parsed = read_export_file(path)
        user = parsed.username or file_stem(path, XML_SUFFIXES)
        return {user: parsed.entries}, len(parsed.skipped)
    if fmt == "mal-json":
        from training.data.mal_json import JSON_SUFFIXES, _read_user, is_json_file
        from training.data.mal_xml import file_stem

        if path.is_dir():
            files = sorted(p for p in path.iterdir() if p.is_file() and is_json_file(p))
            return {path.name: _read_user(files)}, 0
        return {file_stem(path, JSON_SUFFIXES): _read_user([path])}, 0
    raise ValueError(f"no unit reader for {fmt!r}")


def read_folder(
    path: str | Path, format: str = "auto"
) -> tuple[dict[str, list[ProfileEntry]], ReadReport]:
    """Every list in the folder (see the module doc) and the per-file :class:`ReadReport`."""
    from training.data.collected import FetchRecord, iter_records

    root = Path(path)
    report = ReadReport(str(root))
    units = _units(root)
    wanted = [(p, f) for p, f, why in units if why is None and format in ("auto", f)]
    namespaced = len(wanted) > 1
    profiles: dict[str, list[ProfileEntry]] = {}
    latest: dict[str, FetchRecord] = {}
    for unit, fmt, why in units:
        entry = FileReport(str(unit), fmt, skipped=why)
        report.files.append(entry)
        if why is not None or fmt is None:
            continue
        if format not in ("auto", fmt):
            entry.skipped = f"{fmt}, not the {format} format asked for"
            continue
        try:
            if fmt == "collected":
                records = list(iter_records(unit))
                read: dict[str, list[ProfileEntry]] = {}
                for record in records:
                    key = record.username.casefold()
                    if key not in latest or record.fetched_at >= latest[key].fetched_at:
                        latest[key] = record
                    read[record.username] = record.entries
                entry.users, entry.entries = len(read), sum(map(len, read.values()))
                continue
            lists, entry.skipped_rows = _read_unit(unit, fmt)
        except ListFormatError as exc:
            entry.skipped = f"unreadable: {exc}"
            continue
        prefix = f"{unit.name}:" if namespaced and fmt in DATASET_FORMATS else ""
        entry.users = len(lists)
        entry.entries = sum(map(len, lists.values()))
        for user, entries in lists.items():
            key = prefix + user
            if key in profiles:
                entry.duplicate_users.append(key)
                continue
            profiles[key] = entries
    for record in latest.values():
        if record.http_status == 200 and record.username not in profiles:
            profiles[record.username] = record.entries
    return profiles, report
