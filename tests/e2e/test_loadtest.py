"""``make loadtest`` itself works (a smoke run, not timed): bot processes on one database, every
member linked and answered, the JSON the issue asks for, each process's memory and model maps.

One process (two shards) on a private PostgreSQL database when ``ANIREC_TEST_POSTGRES_URL`` is
set (CI), on SQLite otherwise: each bot process takes seconds to start, and several processes on
one database are the shard tests' (``test_shard_processes.py``)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from fakes import loadtest

REQUIRED = ("errors", "ack_p99_ms", "answer_p99_ms", "loop_lag_p99_ms", "processes", "members")


def test_loadtest_reports_a_process_of_two_shards(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    postgres = bool(os.environ.get("ANIREC_TEST_POSTGRES_URL"))
    out = tmp_path / "load.json"
    none = str(tmp_path / "none")  # a tiny random model and random lists: no ../shared
    args = ["--members", "4", "--processes", "1", "--json", str(out)]
    # --settle 0: the bots' first background round may run on (it is not what is checked here)
    code = loadtest.main([*args, "--model", none, "--data", none, "--settle", "0"])
    printed = capsys.readouterr().out
    assert code == 0, printed
    numbers = json.loads(out.read_text())
    assert all(key in numbers for key in REQUIRED), sorted(numbers)
    assert numbers["errors"] == 0 and numbers["acked_within_3s"] == 4
    assert numbers["members"] == 4 and numbers["processes"] == 1
    assert numbers["database"] == ("postgresql" if postgres else "sqlite")
    assert sum(p["members"] for p in numbers["per_process"]) == 4
    for process in numbers["per_process"]:
        assert process["rss_mib"] > 0 and process["lag_samples"] > 0
        # the model's files are mapped, each once: one copy per process, not one per shard
        assert process["model_files_mapped"] > 0 and process["model_maps_per_file_max"] == 1
    assert "answered (reply complete)" in printed and "4 concurrent /recommend" in printed
