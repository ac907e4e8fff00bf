"""``python -m training promote CANDIDATE --to MODEL_PATH``: the one way a model goes live.

Layout (the contract with the bot's model watcher)::

    <parent>/models/<name>-<UTC YYYYmmddTHHMMSSZ>/   one artifact per promoted version
    <parent>/<name> -> models/<name>-<stamp>         MODEL_PATH: a symlink to the live version

Promotion checks the candidate first (``model.artifact.load_artifact`` with every sha256 and the
NaN/inf scan, then ``Recommender.load`` and one recommendation), copies it into the versions folder
under a temporary name and renames it into place, then replaces the symlink atomically (a new
symlink beside it, ``os.replace``): a reader sees the old version or the new one, never neither.
A real directory found at MODEL_PATH (installs from before versions) is first moved into the
versions folder, stamped with its manifest's ``created_at``. The newest :data:`KEEP` versions are
kept; the live one is never deleted. A refused candidate changes nothing.

Readers resolve MODEL_PATH once (``Path.resolve()``) and load from the version directory: files
opened through the link one by one could come from two versions if a swap falls in between.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import os
import re
import shutil
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from model.artifact import ArtifactError, load_artifact

VERSIONS_DIR = "models"
KEEP = 3
STAMP_FORMAT = "%Y%m%dT%H%M%SZ"
_STAMP_RE = r"\d{8}T\d{6}Z"


class PromoteError(Exception):
    """The candidate was refused or the swap could not be made; the live model is untouched."""


@dataclass(frozen=True)
class Promotion:
    """What :func:`promote` did."""

    live: Path  # the new live version's directory
    previous: Path | None  # the version live before, if any
    removed: tuple[Path, ...]  # versions deleted to keep the last KEEP


def versions_dir(model_path: Path) -> Path:
    """``<MODEL_PATH parent>/models``."""
    return model_path.parent / VERSIONS_DIR


def stamp(when: datetime) -> str:
    """The UTC version stamp, e.g. ``20261129T193000Z``."""
    return when.astimezone(UTC).strftime(STAMP_FORMAT)


def versions(model_path: Path) -> list[Path]:
    """MODEL_PATH's versions, oldest first (by the stamp in the name)."""
    folder = versions_dir(model_path)
    if not folder.is_dir():
        return []
    pattern = re.compile(re.escape(model_path.name) + "-(" + _STAMP_RE + ")")
    found = [p for p in folder.iterdir() if p.is_dir() and pattern.fullmatch(p.name)]
    return sorted(found, key=lambda p: p.name[len(model_path.name) + 1 :])


def live_version(model_path: Path) -> Path | None:
    """The directory MODEL_PATH serves now (its symlink's target, or itself when a real dir)."""
    if model_path.is_symlink():
        target = model_path.resolve()
        return target if target.is_dir() else None
    return model_path if model_path.is_dir() else None


def check_candidate(candidate: Path) -> str:
    """Load the candidate as the bot would and serve one profile; one sentence on failure."""
    from model.recommender import Recommender

    try:
        artifact = load_artifact(candidate, verify=True)
    except ArtifactError as error:
        raise PromoteError(f"refused {candidate}: {error}") from None
    try:
        recommender = Recommender.load(candidate, verify=False, workers=1)
    except (ArtifactError, ValueError) as error:
        raise PromoteError(
            f"refused {candidate}: the serving engine cannot load it ({error})"
        ) from None
    try:
        first = int(artifact.corpus_ids[0])
        from model.profile import ProfileEntry

        recommender.recommend([ProfileEntry(first, 8, "completed")])
    except Exception as error:  # anything the engine raises means it cannot serve this model
        raise PromoteError(f"refused {candidate}: recommending with it failed ({error})") from None
    finally:
        recommender.close()
    return f"{artifact.config.n_items:,} titles"


@contextlib.contextmanager
def _lock(folder: Path) -> Iterator[None]:
    """One promotion at a time per versions folder (a second one waits)."""
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / ".promote.lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _free_name(model_path: Path, when: datetime) -> Path:
    """``models/<name>-<stamp>``, a second later while that name is taken."""
    folder = versions_dir(model_path)
    while (path := folder / f"{model_path.name}-{stamp(when)}").exists():
        when += timedelta(seconds=1)
    return path


def _created_at(directory: Path) -> datetime:
    try:
        manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
        return datetime.fromisoformat(manifest["created_at"])
    except (OSError, ValueError, KeyError, TypeError):
        return datetime.fromtimestamp(directory.stat().st_mtime, UTC)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def point_to(model_path: Path, version: Path) -> None:
    """Make MODEL_PATH a symlink to ``version`` atomically (relative, so the tree can move)."""
    target = os.path.relpath(version, model_path.parent)
    tmp = model_path.parent / f".{model_path.name}.link-{uuid.uuid4().hex[:12]}"
    os.symlink(target, tmp)
    try:
        os.replace(tmp, model_path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(model_path.parent)


def adopt_directory(model_path: Path) -> Path | None:
    """Move a real directory at MODEL_PATH into the versions folder and link it back."""
    if model_path.is_symlink() or not model_path.is_dir():
        return None
    version = _free_name(model_path, _created_at(model_path))
    model_path.rename(version)
    point_to(model_path, version)
    return version


def prune(model_path: Path, keep: int = KEEP) -> list[Path]:
    """Delete all but the newest ``keep`` versions; the live one is always kept."""
    live = live_version(model_path)
    old = versions(model_path)[: -keep or None] if keep > 0 else versions(model_path)
    removed = [v for v in old if live is None or v.resolve() != live]
    for version in removed:
        # Renamed first so that a half-deleted version never carries a version name.
        doomed = version.parent / f".{version.name}.rm-{uuid.uuid4().hex[:12]}"
        version.rename(doomed)
        shutil.rmtree(doomed, ignore_errors=True)
    return removed


def promote(
    candidate: str | os.PathLike[str],
    model_path: str | os.PathLike[str],
    *,
    keep: int = KEEP,
    now: datetime | None = None,
) -> Promotion:
    """Check ``candidate``, install it as a new version and make it live (module doc).

    Raises :class:`PromoteError` (live model untouched) when the candidate is refused.
    """
    candidate, model_path = Path(candidate), Path(model_path)
    if model_path.exists() and not model_path.is_symlink() and not model_path.is_dir():
        raise PromoteError(f"{model_path} is a file, not a model directory or link; move it away")
    check_candidate(candidate)
    folder = versions_dir(model_path)
    with _lock(folder):
        adopt_directory(model_path)
        previous = live_version(model_path)
        resolved = candidate.resolve()
        if resolved in {v.resolve() for v in versions(model_path)}:
            version = resolved  # an installed version (a rollback): only the link moves
        else:
            version = _free_name(model_path, now or datetime.now(UTC))
            tmp = folder / f".{version.name}.tmp-{uuid.uuid4().hex[:12]}"
            try:
                shutil.copytree(candidate, tmp, symlinks=False)
                load_artifact(tmp, verify=True)  # the copy, byte for byte
                tmp.rename(version)
            except (OSError, ArtifactError) as error:
                shutil.rmtree(tmp, ignore_errors=True)
                raise PromoteError(f"could not install {candidate} as {version}: {error}") from None
            _fsync_dir(folder)
        point_to(model_path, version)
        removed = prune(model_path, keep)
    return Promotion(live=version, previous=previous, removed=tuple(removed))


def _promote_command(args: argparse.Namespace) -> int:
    try:
        done = promote(args.candidate, args.to, keep=args.keep)
    except PromoteError as error:
        print(f"{error}; the live model is unchanged.", file=sys.stderr)
        return 2
    was = f" (was {done.previous.name})" if done.previous else ""
    print(f"{args.to} -> {done.live}{was}")
    for path in done.removed:
        print(f"removed old version {path.name}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "promote", help="check a trained model and make it the live one (atomic)"
    )
    parser.add_argument("candidate", type=Path, help="artifact directory (train --out)")
    parser.add_argument("--to", type=Path, required=True, help="MODEL_PATH (a symlink it manages)")
    parser.add_argument("--keep", type=int, default=KEEP, help=f"versions kept (default {KEEP})")
    parser.set_defaults(handler=_promote_command)
