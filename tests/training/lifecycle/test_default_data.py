"""The shipped default data (training/datasets/anime-5k) and the fresh-clone path to a model."""

from __future__ import annotations

import gzip
import re
import subprocess
from pathlib import Path

from model.profile import ProfileEntry
from model.recommender import Recommender
from training.__main__ import main as cli
from training.data.kaggle import load_anime, load_ratings
from training.dataset import load_data_dir
from training.lifecycle.promote import live_version

from .samples import write_sample

ROOT = Path(__file__).resolve().parents[3]
SHIPPED = ROOT / "training" / "datasets" / "anime-5k"


def test_the_shipped_sample_is_there_and_small() -> None:
    sizes = {p.name: p.stat().st_size for p in SHIPPED.iterdir() if p.suffix == ".gz"}
    assert set(sizes) == {"rating.csv.gz", "anime.csv.gz"}
    assert sum(sizes.values()) < 2_500_000
    with gzip.open(SHIPPED / "rating.csv.gz", "rt") as handle:
        assert handle.readline().strip() == "user_id,anime_id,rating"
    with gzip.open(SHIPPED / "anime.csv.gz", "rt") as handle:
        assert handle.readline().strip() == "anime_id,name,type"


def test_nothing_reads_shared_by_default() -> None:
    makefile = (ROOT / "Makefile").read_text()
    default = re.search(r"^DATA_DIR \?= (.+)$", makefile, re.M)
    assert default is not None and default.group(1).strip() == "training/datasets/anime-5k"
    assert "../shared" not in default.group(1)


def test_gzipped_files_and_the_column_subset_are_read(tmp_path: Path) -> None:
    sample = write_sample(tmp_path / "d")
    table = load_ratings(sample / "rating.csv.gz")
    assert len(table) == 600 and (table.scores == 0).any()
    anime = load_anime(sample / "anime.csv.gz")
    assert anime[3].name == "Title 3, the show" and anime[3].media_type == "tv"
    assert anime[3].genres == () and anime[3].members is None
    dataset = load_data_dir(sample)
    assert dataset.info["source_users"] == 60 and set(dataset.media_types) == {"tv"}
    assert dataset.titles[0].startswith("Title ")


def test_a_fresh_clone_trains_promotes_and_serves(tmp_path: Path) -> None:
    """What `make model` does on a fresh clone: train the small config, promote, load."""
    sample = write_sample(tmp_path / "sample")
    candidate, live = tmp_path / "candidate", tmp_path / "artifacts" / "model"
    args = ["train", "--data", str(sample), "--config", "small", "--out", str(candidate)]
    flags = ["--max-steps", "4", "--eval-every", "2", "--quiet"]
    assert cli([*args, *flags, "--checkpoint-dir", str(tmp_path / "ck")]) == 0
    assert cli(["promote", str(candidate), "--to", str(live)]) == 0
    assert live.is_symlink() and live_version(live) is not None
    recommender = Recommender.load(live.resolve())
    try:
        recs = recommender.recommend([ProfileEntry(1, 9), ProfileEntry(5, 8), ProfileEntry(9, 7)])
        assert recs and all(r.anime_id not in (1, 5, 9) for r in recs)
        assert recommender.item(int(recs[0].anime_id))["title"].startswith("Title ")
    finally:
        recommender.close()


def _make_dry_run(model_path: Path) -> str:
    done = subprocess.run(
        ["make", "-n", "--no-print-directory", "run", f"MODEL_PATH={model_path}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_make_run_builds_the_model_only_when_there_is_none(tmp_path: Path) -> None:
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "manifest.json").write_text("{}")
    with_model = _make_dry_run(tmp_path / "model")
    assert "training train" not in with_model and "train]" not in with_model
    assert "-m bot" in with_model
    without = _make_dry_run(tmp_path / "none")
    assert "-m training train --data training/datasets/anime-5k" in without
    assert f"-m training promote runs/candidate-default --to {tmp_path / 'none'}" in without
    assert without.index("training promote") < without.rindex("-m bot")
