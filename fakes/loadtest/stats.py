"""Samples and what a load test reads off each bot process (memory, the model's mappings)."""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from bot.metrics import memory_kib, percentile

QUANTILES = {"p50": 0.50, "p95": 0.95, "p99": 0.99}


@dataclass
class Numbers:
    """Samples in seconds, summarised in milliseconds."""

    samples: list[float] = field(default_factory=list)

    def add(self, value: float) -> None:
        self.samples.append(value)

    def summary(self, prefix: str) -> dict[str, float]:
        """``{prefix}_p50_ms`` … ``{prefix}_max_ms`` (0 without samples)."""
        out = {
            f"{prefix}_{name}_ms": round(1000 * percentile(self.samples, q), 1)
            for name, q in QUANTILES.items()
        }
        out[f"{prefix}_max_ms"] = round(1000 * max(self.samples, default=0.0), 1)
        return out

    def row(self, name: str) -> str:
        s = self.summary("x")
        cells = "".join(f"{s[f'x_{q}_ms']:>9.1f}" for q in (*QUANTILES, "max"))
        return f"{name:<30}{cells}{len(self.samples):>7}"


HEADER = f"{'':<30}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}{'n':>7}"


def model_mappings(pid: int, model_dir: Path) -> dict[str, int]:
    """How many times each file of ``model_dir`` is mapped into ``pid`` (1 each: one copy,
    whatever the number of shards the process runs)."""
    root = str(model_dir.resolve())
    counts: Counter[str] = Counter()
    try:
        with open(f"/proc/{pid}/maps") as maps:
            for line in maps:
                parts = line.split(maxsplit=5)
                if len(parts) == 6 and parts[5].startswith(root):
                    counts[os.path.basename(parts[5].strip())] += 1
    except OSError:
        return {}
    return dict(counts)


def process_memory(pid: int) -> dict[str, float]:
    """RSS, PSS and shared/private memory of ``pid`` in MiB (``/proc/<pid>/smaps_rollup``)."""
    kib = memory_kib(pid)
    shared = kib.get("Shared_Clean", 0) + kib.get("Shared_Dirty", 0)
    private = kib.get("Private_Clean", 0) + kib.get("Private_Dirty", 0)
    return {
        "rss_mib": round(kib.get("Rss", 0) / 1024, 1),
        "pss_mib": round(kib.get("Pss", 0) / 1024, 1),
        "shared_mib": round(shared / 1024, 1),
        "private_mib": round(private / 1024, 1),
    }


def load_average() -> list[float]:
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except OSError:
        return []


def process_cpu_s(pid: int) -> float:
    """User + system CPU seconds ``pid`` has used (``/proc/<pid>/stat``); 0 when gone."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_cpu_s() -> float:
    """Busy CPU seconds of the whole machine, over all cores (``/proc/stat``: all but idle
    and iowait)."""
    try:
        with open("/proc/stat") as handle:
            values = [int(v) for v in handle.readline().split()[1:]]
    except OSError:
        return 0.0
    busy = sum(values) - values[3] - (values[4] if len(values) > 4 else 0)
    return busy / os.sysconf("SC_CLK_TCK")
