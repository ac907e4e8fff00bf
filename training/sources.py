"""Training on several sources: ``train --data A --data B …`` merges their lists.

A source is a data folder or file in any format of :mod:`training.data` (the shipped anime-5k
sample, the collector's output, MAL exports, …) or the bot's database by its URL
(:mod:`training.data.database`). Users are matched across sources by key:

- lists with a MAL username (collector, MAL exports and API pages, azathoth, the bot's linked
  members) are ``mal:<username, casefolded>``, so one MAL user given by two sources is one user;
- the Kaggle datasets' numeric ids are local to their file: ``<folder name>:<id>``.

**Newest list per user.** Each list carries a time where the source knows one: the collector's
``fetched_at``, the database's last good sync (else link time). For a key given more than once,
the list with the latest time wins; a list without a time loses to any list with one; between
lists with no time (or the same time) the later ``--data`` wins. When the winning copy is a
collector fetch that found the list private or gone (403/404), the user is left out: an older
copy of a list its owner has since hidden is not used.

The merged lists go through :func:`training.dataset.build_dataset` unchanged, so titles enter the
corpus by its one rule (≥ ``min_item_users`` training users): titles that the new lists give
enough users join the corpus. One source alone is read exactly as before
(:func:`training.dataset.open_dataset`, also a built ``.npz``).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from model.profile import ListFormatError, ProfileEntry
from training.data.kaggle import AnimeInfo
from training.dataset import Dataset, DatasetOptions, build_dataset, open_dataset

DATASET_FORMATS = ("kaggle", "kaggle-2020")
DEFAULT_OPTIONS = DatasetOptions()


@dataclass
class MergedLists:
    """The merged lists: per key, the winning list, its time (None: unknown) and source."""

    profiles: dict[str, list[ProfileEntry]] = field(default_factory=dict)
    updated: dict[str, datetime | None] = field(default_factory=dict)
    origin: dict[str, str] = field(default_factory=dict)
    anime: dict[int, AnimeInfo] = field(default_factory=dict)
    hidden: set[str] = field(default_factory=set)  # keys whose newest fetch was 403/404
    report: list[str] = field(default_factory=list)

    def offer(
        self, key: str, entries: list[ProfileEntry] | None, when: datetime | None, source: str
    ) -> None:
        """One copy of a user's list (None: the fetch found it private or gone); keeps the
        newest by the module's rule (later offers win ties)."""
        if key in self.updated:
            held = self.updated[key]
            if held is not None and (when is None or when < held):
                return
        self.updated[key] = when
        self.origin[key] = source
        if entries is None:
            self.profiles.pop(key, None)
            self.hidden.add(key)
        else:
            self.hidden.discard(key)
            self.profiles[key] = entries

    def dataset(
        self, options: DatasetOptions = DEFAULT_OPTIONS, exclude: Sequence[str] = ()
    ) -> tuple[Dataset, list[str]]:
        """The dataset of every merged list but ``exclude``'s, and each row's key.

        Users are numbered in sorted key order, so the seeded split does not depend on the
        order of ``--data``.
        """
        left_out = set(exclude)
        names = sorted(k for k in self.profiles if k not in left_out)
        dataset = build_dataset(
            {i: self.profiles[k] for i, k in enumerate(names)}, options, self.anime
        )
        dataset.info["sources"] = self.report
        return dataset, [names[int(u)] for u in dataset.user_ids]


def _label(path: Path, taken: dict[str, Path]) -> str:
    label = path.name.removesuffix(".gz") or "data"
    while label in taken and taken[label] != path.resolve():
        label += "'"
    taken[label] = path.resolve()
    return label


def _read_collected(merged: MergedLists, path: Path) -> str:
    from training.data.collected import collected_files, iter_records

    fetched = 0
    for file in collected_files(path):
        for record in iter_records(file):
            fetched += 1
            entries = record.entries if record.http_status == 200 else None
            merged.offer(f"mal:{record.username.casefold()}", entries, record.fetched_at, str(path))
    return f"{path}: {fetched:,} collector fetches"


def _read_files(merged: MergedLists, path: Path, label: str) -> str:
    from training import data
    from training.dataset import anime_file

    lists, report = data.read_profiles(path)
    formats = {f.format for f in report.read}
    whole_dataset = bool(formats) and formats <= set(DATASET_FORMATS)
    for key, entries in lists.items():
        numeric = whole_dataset or ":" in key  # "<file>:<id>" in a mixed folder
        merged.offer(f"{label}:{key}" if numeric else f"mal:{key.casefold()}", entries, None, label)
    if path.is_dir() and (anime_path := anime_file(path)) is not None:
        from training.data.kaggle import load_anime

        for anime_id, info in load_anime(anime_path).items():
            merged.anime.setdefault(anime_id, info)
    return f"{path}: {len(lists):,} lists ({', '.join(sorted(f for f in formats if f))})"


def _read_database(merged: MergedLists, url: str) -> str:
    from sqlalchemy.engine import make_url

    from training.data.database import read_database

    lists, anime = read_database(url)
    shown = make_url(url).render_as_string(hide_password=True)
    for stored in lists:
        merged.offer(stored.key, stored.entries, stored.updated, "database")
    for anime_id, (title, media) in anime.items():
        if title:
            kind = (media or "unknown").lower()
            merged.anime.setdefault(
                anime_id, AnimeInfo(anime_id, title, (), kind, None, None, None)
            )
    return f"{shown}: {len(lists):,} linked members' lists"


def merge_sources(specs: Sequence[str]) -> MergedLists:
    """Every source's lists merged by key, newest list per user (module doc)."""
    from training.data import detect_format
    from training.data.database import is_database_url

    merged = MergedLists()
    taken: dict[str, Path] = {}
    for spec in specs:
        if is_database_url(spec):
            merged.report.append(_read_database(merged, spec))
            continue
        path = Path(spec)
        if path.suffix == ".npz":
            raise ListFormatError(spec, "a built .npz dataset cannot be merged; give its data")
        if detect_format(path) == "collected":
            merged.report.append(_read_collected(merged, path))
        else:
            merged.report.append(_read_files(merged, path, _label(path, taken)))
    hidden = f", {len(merged.hidden):,} left out (newest fetch: private or gone)"
    merged.report.append(f"merged: {len(merged.profiles):,} users{hidden if merged.hidden else ''}")
    return merged


def open_sources(specs: Sequence[str], options: DatasetOptions = DEFAULT_OPTIONS) -> Dataset:
    """One source: :func:`~training.dataset.open_dataset`; several: merged (module doc)."""
    if len(specs) == 1:
        from training.data.database import is_database_url

        if not is_database_url(specs[0]):
            return open_dataset(specs[0], options)
    merged = merge_sources(specs)
    print("\n".join(merged.report), file=sys.stderr)
    dataset, _ = merged.dataset(options)
    dataset.info["source"] = list(specs)
    return dataset
