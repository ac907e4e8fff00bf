"""What ``/model`` shows an admin: the model being served and the latest refresh report.

Read from the artifact's ``manifest.json`` (``created_at`` and the training metadata: the
dataset's users and titles, the validation metrics) and from ``last-refresh.json``, the report
``python -m training refresh`` writes next to the model versions. Pure data (no discord).
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)
REFRESH_REPORT = "last-refresh.json"
MAX_REPORT_BYTES = 1 << 20


@dataclass(frozen=True, slots=True)
class RefreshState:
    """The bot's own scheduled refresh: running now, when it last ended and how."""

    enabled: bool = False
    every_days: float = 0.0
    running: bool = False
    last_started: str | None = None
    last_finished: str | None = None
    last_exit: int | None = None
    last_line: str | None = None
    next_due: str | None = None


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """The served model (``loaded`` false: none), its metadata and the last refresh report."""

    loaded: bool
    path: str
    real_path: str | None = None
    created_at: str | None = None
    n_items: int | None = None
    n_users: int | None = None
    n_entries: int | None = None
    validation: dict[str, float] = field(default_factory=dict)
    score_weight: float | None = None
    swaps: int = 0
    refresh_report: dict[str, Any] | None = None
    refresh_report_path: str | None = None
    refresh: RefreshState = field(default_factory=RefreshState)


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        if path.stat().st_size > MAX_REPORT_BYTES:
            log.warning("%s is over %d bytes; not shown", path, MAX_REPORT_BYTES)
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        log.warning("cannot read %s: %s", path, exc)
        return None
    return data if isinstance(data, dict) else None


def report_paths(model_path: Path) -> list[Path]:
    """Where the refresh report may be: next to the live version directory (``MODEL_PATH`` a
    symlink into the models directory), then next to ``MODEL_PATH`` itself."""
    real = Path(os.path.realpath(model_path))
    paths = [real.parent / REFRESH_REPORT, model_path.parent / REFRESH_REPORT]
    return list(dict.fromkeys(paths))


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def read_model_info(
    model_path: Path,
    *,
    loaded: bool,
    served_from: str | None,
    swaps: int = 0,
    refresh: RefreshState | None = None,
) -> ModelInfo:
    """Everything ``/model`` shows (blocking file reads: call it in a thread). ``served_from``
    is the directory the served model was loaded from (the watcher's real path)."""
    report: dict[str, Any] | None = None
    report_path: str | None = None
    for candidate in report_paths(model_path):
        report = _read_json(candidate)
        if report is not None:
            report_path = str(candidate)
            break
    base = ModelInfo(
        loaded=loaded,
        path=str(model_path),
        real_path=served_from,
        swaps=swaps,
        refresh_report=report,
        refresh_report_path=report_path,
        refresh=refresh or RefreshState(),
    )
    if not loaded or served_from is None:
        return base
    manifest = _read_json(Path(served_from) / "manifest.json") or {}
    metadata = _object(manifest.get("metadata"))
    data = _object(metadata.get("data"))
    validation = _object(metadata.get("validation"))
    items = _number(data.get("n_items"))
    users = _number(data.get("n_users"))
    entries = _number(data.get("n_entries"))
    weight = _number(metadata.get("score_weight"))
    return ModelInfo(
        loaded=True,
        path=base.path,
        real_path=served_from,
        created_at=str(manifest["created_at"]) if manifest.get("created_at") else None,
        n_items=int(items) if items is not None else None,
        n_users=int(users) if users is not None else None,
        n_entries=int(entries) if entries is not None else None,
        validation={k: v for k, val in validation.items() if (v := _number(val)) is not None},
        score_weight=weight,
        swaps=swaps,
        refresh_report=report,
        refresh_report_path=report_path,
        refresh=base.refresh,
    )
