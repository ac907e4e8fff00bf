"""The benchmark command runs end to end on a tiny artifact and writes every issue-6 key."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from model.__main__ import main
from model.bench import FULL, recommend_bytes, synthetic_profiles

KEYS = {
    "recommend_p50_ms",
    "recommend_p99_ms",
    "explain_p50_ms",
    "throughput_per_s",
    "load_s",
    "rss_bytes",
    "weight_bytes",
    "dense_numpy_p50_ms",
    "jax_p50_ms",
    "bandwidth_floor_ms",
}


def test_bench_json(tiny_model: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "bench.json"
    code = main(["bench", "--model", str(tiny_model), "--quick", "--no-jax", "--json", str(out)])
    assert code == 0
    result = json.loads(out.read_text())
    assert set(result) >= KEYS
    assert set(result["recommend_p50_ms"]) == {"20", "150", "500", "2000"}
    assert all(v > 0 for v in result["recommend_p50_ms"].values())
    assert result["throughput_per_s"] > 0 and result["rss_bytes"] > result["weight_bytes"] > 0
    assert result["jax_p50_ms"] is None
    assert "| recommend, 150 entries |" in capsys.readouterr().out


def test_full_config_size_and_floor_bytes() -> None:
    params = sum(math.prod(s) for s in FULL.shapes().values())
    assert 54e6 < params < 56e6  # the seed's ~55M parameters
    # 150 entries: 300 gathered rows of 2048, then every other layer in full.
    expected = (300 * 2048 + 2048 + 2048 * 512 + 512) * 4
    expected += 2 * (512 * 1024 + 1024 + 1024 * 2048 + 2048 + 2048 * 6000 + 6000) * 4
    assert recommend_bytes(FULL, 150) == expected
    # A zero presence head is not read; an unscored profile reads 10 rating columns.
    lean = recommend_bytes(FULL, 150, presence_head=False, rating_columns=10)
    presence = (512 * 1024 + 1024 + 1024 * 2048 + 2048 + 2048 * 6000 + 6000) * 4
    assert lean == expected - presence - 2048 * (6000 - 10) * 4


def test_synthetic_profiles_are_distinct_and_valid() -> None:
    ids = np.arange(100, 400)
    profiles = synthetic_profiles(ids, 50, 3, seed=1)
    assert len(profiles) == 3
    for p in profiles:
        assert len({e.anime_id for e in p}) == 50
        assert all(100 <= e.anime_id < 400 and 0 <= e.score <= 10 for e in p)
