"""Training checkpoints: parameter trees and the loop's progress in one ``.npz``.

A checkpoint holds parameters, optimizer state, best parameters and the progress (step, early
stopping, history) as JSON, with the network configuration and a hash of the corpus, so a run
resumes exactly where it stopped and never continues a model of another network or corpus.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from model.npyio import NPY_LOCK

CHECKPOINT = "checkpoint.npz"


def save_checkpoint(path: Path, trees: dict[str, Any], state: dict[str, Any]) -> None:
    """Write ``trees`` (leaves as ``name/i``) and the JSON ``state``; atomic (write, rename)."""
    arrays: dict[str, Any] = {"state": np.asarray(json.dumps(state))}
    for name, tree in trees.items():
        for i, leaf in enumerate(jax.tree_util.tree_leaves(tree)):
            arrays[f"{name}/{i}"] = np.asarray(leaf)
    tmp = path.with_suffix(".tmp.npz")
    with tmp.open("wb") as handle:
        np.savez(handle, **arrays)
    tmp.replace(path)


def load_checkpoint(
    path: Path, trees: dict[str, Any], model: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Restore ``trees`` from a checkpoint written for the same ``model`` (network and corpus).

    A checkpoint of another configuration or corpus raises ValueError instead of resuming: with
    equal shapes it would silently continue a model of other titles.
    """
    with NPY_LOCK, np.load(path, allow_pickle=False) as data:
        state = json.loads(str(data["state"]))
        if state.get("model") != model:
            raise ValueError(
                f"{path}: checkpoint of another network or corpus ({state.get('model')} vs "
                f"{model}); use another --checkpoint-dir or train without --resume"
            )
        restored = {}
        for name, tree in trees.items():
            leaves, treedef = jax.tree_util.tree_flatten(tree)
            new = []
            for i, leaf in enumerate(leaves):
                key = f"{name}/{i}"
                if key not in data or data[key].shape != np.shape(leaf):
                    raise ValueError(f"{path}: checkpoint array {key} does not fit this network")
                new.append(jnp.asarray(data[key], dtype=jnp.asarray(leaf).dtype))
            restored[name] = jax.tree_util.tree_unflatten(treedef, new)
        return restored, state
