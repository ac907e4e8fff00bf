"""Artifact round trip and every way a file can be wrong."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from model.artifact import (
    FORMAT_VERSION,
    MANIFEST,
    ArtifactError,
    load_artifact,
    save_artifact,
    weight_file,
)
from model.reference import NetworkConfig, random_weights

N = 12


@pytest.fixture
def config() -> NetworkConfig:
    return NetworkConfig(N, encoder=(8, 4), decoder=(6,), item_item=True)


def _save_to(directory: Path, config: NetworkConfig, weights: dict, **extra: object) -> Path:
    """``save_artifact`` with the default corpus of N items (the refusal tests vary the rest)."""
    return save_artifact(
        directory,
        config=config,
        weights=weights,
        corpus_ids=np.arange(N),
        item_counts=np.ones(N),
        **extra,  # type: ignore[arg-type]
    )


@pytest.fixture
def saved(tmp_path: Path, config: NetworkConfig) -> Path:
    ids = np.arange(100, 100 + N)
    items = [
        {"anime_id": int(a), "title": f"Title {a}", "media_type": "TV" if a % 2 else "TV Special"}
        for a in ids
    ]
    return save_artifact(
        tmp_path / "model",
        config=config,
        weights=random_weights(config, seed=3),
        corpus_ids=ids,
        item_counts=np.arange(N) + 5,
        items=items,
        metadata={"score_weight": 0.4, "data": {"users": 7}},
    )


def test_round_trip(saved: Path, config: NetworkConfig) -> None:
    art = load_artifact(saved)
    assert art.config == config
    expected = random_weights(config, seed=3)
    assert set(art.weights) == set(expected)
    for name, w in expected.items():
        np.testing.assert_array_equal(art.weights[name], w)
        assert isinstance(art.weights[name], np.memmap) or w.ndim == 0
        assert not art.weights[name].flags.writeable
    np.testing.assert_array_equal(art.corpus_ids, np.arange(100, 100 + N))
    assert art.corpus_ids.dtype == np.int64
    np.testing.assert_array_equal(art.item_counts, np.arange(N) + 5)
    assert art.items[1] == {"anime_id": 101, "title": "Title 101", "media_type": "tv"}
    assert art.items[0]["media_type"] == "tv_special"
    assert art.score_weight == pytest.approx(0.4)
    assert art.metadata["data"] == {"users": 7}
    manifest = json.loads((saved / MANIFEST).read_text())
    assert manifest["format_version"] == FORMAT_VERSION
    assert set(manifest["files"]) >= {"config.json", "items.json", weight_file("encoder.0.kernel")}


def test_default_items_and_score_weight(tmp_path: Path) -> None:
    cfg = NetworkConfig(4, encoder=(3,), decoder=())
    path = save_artifact(
        tmp_path / "m",
        config=cfg,
        weights=random_weights(cfg),
        corpus_ids=[5, 6, 7, 8],
        item_counts=[1, 1, 1, 1],
    )
    art = load_artifact(path)
    assert art.items[2] == {"anime_id": 7, "title": "7", "media_type": "unknown"}
    assert art.score_weight == pytest.approx(0.3)


def test_overwrite_is_complete_and_leaves_no_temporaries(
    saved: Path, config: NetworkConfig
) -> None:
    weights = random_weights(config, seed=9)
    save_artifact(
        saved,
        config=config,
        weights=weights,
        corpus_ids=np.arange(N),
        item_counts=np.ones(N, dtype=int),
    )
    art = load_artifact(saved)
    np.testing.assert_array_equal(art.weights["rating.0.kernel"], weights["rating.0.kernel"])
    assert [p.name for p in saved.parent.iterdir()] == ["model"]


def test_save_rejects_mismatched_weights(tmp_path: Path, config: NetworkConfig) -> None:
    weights = random_weights(config)
    weights["encoder.0.kernel"] = weights["encoder.0.kernel"][:-1]
    with pytest.raises(ValueError, match=r"encoder\.0\.kernel"):
        _save_to(tmp_path / "m", config, weights)
    del weights["encoder.0.kernel"]
    with pytest.raises(ValueError, match="missing"):
        _save_to(tmp_path / "m", config, weights)
    assert not (tmp_path / "m").exists()
    assert list(tmp_path.iterdir()) == []


def test_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(ArtifactError, match="not found"):
        load_artifact(tmp_path / "nope")


def test_missing_file(saved: Path) -> None:
    (saved / weight_file("presence.1.kernel")).unlink()
    with pytest.raises(ArtifactError, match=r"presence\.1\.kernel\.npy: listed in the manifest"):
        load_artifact(saved)


def test_missing_manifest(saved: Path) -> None:
    (saved / MANIFEST).unlink()
    with pytest.raises(ArtifactError, match="manifest is missing"):
        load_artifact(saved)


def test_truncated_weight(saved: Path) -> None:
    path = saved / weight_file("encoder.0.kernel")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 16])
    with pytest.raises(ArtifactError, match=r"encoder\.0\.kernel\.npy: .*truncated"):
        load_artifact(saved, verify=False)


def test_flipped_byte_detected_by_hash(saved: Path) -> None:
    path = saved / weight_file("rating.1.bias")
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ArtifactError, match=r"rating\.1\.bias\.npy: sha256"):
        load_artifact(saved)


def test_wrong_version(saved: Path) -> None:
    manifest = json.loads((saved / MANIFEST).read_text())
    manifest["format_version"] = FORMAT_VERSION + 1
    (saved / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(ArtifactError, match="format version"):
        load_artifact(saved)


def test_corrupt_manifest(saved: Path) -> None:
    (saved / MANIFEST).write_text("{not json")
    with pytest.raises(ArtifactError, match="not valid JSON"):
        load_artifact(saved)


def _rewrite(saved: Path, rel: str, data: bytes) -> None:
    """Replace a file and re-sign it in the manifest, so only the deeper checks can catch it."""
    import hashlib

    (saved / rel).write_bytes(data)
    manifest = json.loads((saved / MANIFEST).read_text())
    manifest["files"][rel] = {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
    (saved / MANIFEST).write_text(json.dumps(manifest))


def test_config_mismatching_weights(saved: Path, config: NetworkConfig) -> None:
    bigger = NetworkConfig(N, encoder=(9, 4), decoder=(6,), item_item=True)
    _rewrite(saved, "config.json", json.dumps(bigger.to_dict()).encode())
    with pytest.raises(ArtifactError, match=r"encoder\.0\.kernel\.npy: shape \(24, 8\)"):
        load_artifact(saved)


def test_weight_not_listed(saved: Path) -> None:
    manifest = json.loads((saved / MANIFEST).read_text())
    del manifest["files"][weight_file("item_item.scale")]
    (saved / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(ArtifactError, match=r"does not list weights/item_item\.scale\.npy"):
        load_artifact(saved)


def test_garbage_npy(saved: Path) -> None:
    _rewrite(saved, weight_file("presence.0.bias"), b"this is not an npy file at all")
    with pytest.raises(ArtifactError, match=r"presence\.0\.bias\.npy: unreadable"):
        load_artifact(saved)


def test_items_not_matching_corpus(saved: Path) -> None:
    items = json.loads((saved / "items.json").read_text())
    items[3]["anime_id"] = 999
    _rewrite(saved, "items.json", json.dumps(items).encode())
    with pytest.raises(ArtifactError, match=r"items\.json: items\[3\] is anime 999"):
        load_artifact(saved)


def test_corpus_ids_wrong_dtype(saved: Path) -> None:
    import io

    buf = io.BytesIO()
    np.save(buf, np.arange(N, dtype=np.float64))
    _rewrite(saved, "corpus_ids.npy", buf.getvalue())
    with pytest.raises(ArtifactError, match=r"corpus_ids\.npy: float64"):
        load_artifact(saved)


def _edit_manifest(saved: Path, edit: object) -> None:
    manifest = json.loads((saved / MANIFEST).read_text())
    edit(manifest)  # type: ignore[operator]
    (saved / MANIFEST).write_text(json.dumps(manifest))


def test_manifest_file_entry_not_an_object(saved: Path) -> None:
    _edit_manifest(saved, lambda m: m["files"].__setitem__("config.json", 5))
    with pytest.raises(ArtifactError, match=r"config\.json: manifest entry is not an object"):
        load_artifact(saved)


def test_config_without_encoder_layers(saved: Path, config: NetworkConfig) -> None:
    data = config.to_dict()
    data["encoder"] = []
    _rewrite(saved, "config.json", json.dumps(data).encode())
    with pytest.raises(ArtifactError, match=r"config\.json: invalid config"):
        load_artifact(saved)


@pytest.mark.parametrize("weight", ["0.4", 1.5, -0.1, None, True])
def test_score_weight_outside_the_unit_interval(saved: Path, weight: object) -> None:
    _edit_manifest(saved, lambda m: m["metadata"].__setitem__("score_weight", weight))
    with pytest.raises(ArtifactError, match="score_weight"):
        load_artifact(saved)


def test_save_rejects_a_bad_score_weight(tmp_path: Path, config: NetworkConfig) -> None:
    with pytest.raises(ValueError, match="score_weight"):
        _save_to(
            tmp_path / "m", config, random_weights(config), metadata={"score_weight": float("nan")}
        )


def test_save_rejects_non_finite_weights(tmp_path: Path, config: NetworkConfig) -> None:
    weights = random_weights(config)
    weights["rating.1.bias"][2] = np.nan
    with pytest.raises(ValueError, match=r"rating\.1\.bias.*not finite"):
        _save_to(tmp_path / "m", config, weights)
    assert list(tmp_path.iterdir()) == []


def test_non_finite_weight_detected(saved: Path, config: NetworkConfig) -> None:
    import io

    bias = random_weights(config, seed=3)["presence.0.bias"]
    bias[1] = np.inf
    buf = io.BytesIO()
    np.save(buf, bias)
    _rewrite(saved, weight_file("presence.0.bias"), buf.getvalue())
    with pytest.raises(ArtifactError, match=r"presence\.0\.bias\.npy: not finite"):
        load_artifact(saved)


def test_duplicate_corpus_ids(saved: Path) -> None:
    import io

    ids = np.arange(100, 100 + N)
    ids[5] = ids[4]
    buf = io.BytesIO()
    np.save(buf, ids)
    _rewrite(saved, "corpus_ids.npy", buf.getvalue())
    items = json.loads((saved / "items.json").read_text())
    items[5]["anime_id"] = int(ids[4])
    _rewrite(saved, "items.json", json.dumps(items).encode())
    with pytest.raises(ArtifactError, match=r"corpus_ids\.npy: duplicate"):
        load_artifact(saved)
