"""The benchmark command runs end to end on a tiny artifact and writes every issue-6 key."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from model.artifact import save_artifact
from model.reference import NetworkConfig, random_weights
from model.synthetic import synthetic_profiles
from training.__main__ import main
from training.bench import FULL, recommend_bytes

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


@pytest.fixture
def tiny_model(tmp_path: Path) -> Path:
    """Random weights of a tiny config, anime ids 1000, 1001, …, cycling media types."""
    config = NetworkConfig(40, encoder=(32, 16), decoder=(24,))
    ids = np.arange(1000, 1000 + config.n_items)
    media = ("tv", "movie", "ova", "special")
    return save_artifact(
        tmp_path / "tiny",
        config=config,
        weights=random_weights(config, seed=7),
        corpus_ids=ids,
        item_counts=np.arange(config.n_items, 0, -1),
        items=[
            {"anime_id": int(a), "title": f"Anime {a}", "media_type": media[i % len(media)]}
            for i, a in enumerate(ids)
        ],
    )


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


def test_bench_fast_rows(tiny_model: Path, tmp_path: Path, capsys) -> None:
    pytest.importorskip("onnxruntime")
    pytest.importorskip("onnx")
    out = tmp_path / "bench.json"
    args = ["bench", "--model", str(tiny_model), "--quick", "--no-jax", "--fast", "int8"]
    assert main([*args, "--json", str(out)]) == 0
    fast = json.loads(out.read_text())["fast"]
    assert fast["mode"] == "int8"
    assert (
        set(fast["recommend_p50_ms"])
        == set(fast["float32_recommend_p50_ms"])
        == {
            "20",
            "150",
            "500",
            "2000",
        }
    )
    assert all(v > 0 for v in fast["recommend_p50_ms"].values())
    assert fast["throughput_per_s"] > 0 and fast["extra_bytes"] > 0
    assert "| recommend p50, 150 entries |" in capsys.readouterr().out


def test_bench_command_loads_no_jax() -> None:
    """Only the JAX comparison imports JAX: the figures (resident memory) must not carry it."""
    import subprocess
    import sys

    code = (
        "import sys; from training.__main__ import main\n"
        "try: main(['bench', '--help'])\n"
        "except SystemExit: pass\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('jax', 'flax', 'optax')]\n"
        "sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
