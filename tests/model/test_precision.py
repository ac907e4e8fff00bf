"""Reduced-precision rounding and the accuracy gate."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from model import ProfileEntry, Recommender
from model.__main__ import main
from model.artifact import load_artifact
from model.precision import accuracy, round_bfloat16, round_int8, rounded_weights


def test_round_bfloat16_hand_cases() -> None:
    one_ulp = 2.0**-7  # bfloat16 keeps 7 fraction bits
    x = np.array(
        [1.0, 1 + one_ulp / 2, 1 + 3 * one_ulp / 2, 1 + one_ulp / 4, -2.5, 0.0], dtype=np.float32
    )
    # Ties go to even: 1 + ½ulp → 1; 1 + 1.5 ulp → 1 + 2 ulp; below half → down.
    want = np.array([1.0, 1.0, 1 + 2 * one_ulp, 1.0, -2.5, 0.0], dtype=np.float32)
    np.testing.assert_array_equal(round_bfloat16(x), want)
    y = np.random.default_rng(0).normal(0, 3, 1000).astype(np.float32)
    r = round_bfloat16(y)
    assert np.all(np.abs(r - y) <= np.abs(y) * 2.0**-8)
    assert np.all(r.view(np.uint32) & 0xFFFF == 0)


def test_round_int8_per_row() -> None:
    w = np.array([[1.0, -0.5, 0.25], [100.0, 3.0, -50.0]], dtype=np.float32)
    r = round_int8(w, axis=1)
    assert r[0, 0] == 1.0 and r[1, 0] == 100.0  # the row maximum is exact
    scales = np.array([1.0, 100.0]) / 127
    assert np.all(np.abs(r - w) <= scales[:, None] / 2 + 1e-6)
    assert len(np.unique(np.rint(r[1] / scales[1]))) == 3


def test_rounded_weights_keep_biases(tiny_model: Path) -> None:
    weights = load_artifact(tiny_model).weights
    low = rounded_weights(weights, "float16")
    np.testing.assert_array_equal(low["encoder.0.bias"], weights["encoder.0.bias"])
    assert not np.array_equal(low["encoder.0.kernel"], weights["encoder.0.kernel"])
    np.testing.assert_allclose(low["encoder.0.kernel"], weights["encoder.0.kernel"], rtol=1e-3)
    with pytest.raises(ValueError, match="unknown format"):
        rounded_weights(weights, "int4")


def test_accuracy_gate(tiny_model: Path) -> None:
    art = load_artifact(tiny_model)
    rng = np.random.default_rng(1)
    profiles = [
        [ProfileEntry(1000 + int(i), int(rng.integers(1, 11))) for i in rng.choice(40, 8, False)]
        for _ in range(30)
    ]
    same = accuracy(Recommender(art), Recommender(art), profiles)
    assert same["passed"] and same["top10_identical"] == 1.0
    assert same["max_predicted_score_diff"] < 1e-4  # batched vs single-pass rounding only
    # Crude 2-bit weights must fail the gate.
    crude = {
        k: (np.sign(v) * np.abs(v).mean() if k.endswith("kernel") else v).astype(np.float32)
        for k, v in art.weights.items()
    }
    bad = accuracy(Recommender(art), Recommender(dataclasses.replace(art, weights=crude)), profiles)
    assert not bad["passed"] and bad["top10_identical"] < 0.99


def test_accuracy_command(tiny_model: Path, tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text(
        "\n".join(
            json.dumps({"user": u, "entries": [{"anime_id": 1000 + u, "score": 7}]})
            for u in range(12)
        )
    )
    out = tmp_path / "acc.json"
    code = main(
        [
            "accuracy",
            "--model",
            str(tiny_model),
            "--profiles",
            str(src),
            "--dtype",
            "float16",
            "--json",
            str(out),
        ]
    )
    result = json.loads(out.read_text())["float16"]
    assert result["profiles"] == 12
    assert code == (0 if result["passed"] else 1)
