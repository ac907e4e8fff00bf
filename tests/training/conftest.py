"""Small synthetic data for the training tests (no ../shared)."""

from __future__ import annotations

import numpy as np
import pytest

from model.profile import ProfileEntry


def synthetic_profiles(
    n_users: int = 60, n_items: int = 40, seed: int = 0
) -> dict[int, list[ProfileEntry]]:
    """Users who list items from two taste clusters, mostly scored, some unscored/dropped."""
    rng = np.random.default_rng(seed)
    profiles: dict[int, list[ProfileEntry]] = {}
    for u in range(n_users):
        cluster = u % 2
        pool = np.arange(n_items)[np.arange(n_items) % 2 == cluster]
        size = int(rng.integers(6, 14))
        items = rng.choice(pool, size=min(size, len(pool)), replace=False)
        entries = []
        for j, a in enumerate(items):
            score = int(rng.integers(1, 11)) if j % 4 else 0
            status = "dropped" if j == 1 else ("plan_to_watch" if j == 2 and u % 3 == 0 else None)
            entries.append(ProfileEntry(int(a) + 100, score, status))
        profiles[1000 + u] = entries
    return profiles


@pytest.fixture
def profiles() -> dict[int, list[ProfileEntry]]:
    return synthetic_profiles()
