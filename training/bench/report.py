"""The benchmark's figures as a Markdown table."""

from __future__ import annotations

from typing import Any

from training.bench.timing import SIZES


def format_table(r: dict[str, Any]) -> str:
    """Markdown table of the figures, with ratios to dense NumPy, JAX and the floor."""
    dense, jax_ms, floor = r["dense_numpy_p50_ms"], r["jax_p50_ms"], r["bandwidth_floor_ms"]

    def ratios(ms: float) -> str:
        parts = [f"{ms / dense:.2f}× dense"]
        if jax_ms:
            parts.append(f"{ms / jax_ms:.2f}× JAX")
        return ", ".join(parts)

    lines = ["| figure | value | notes |", "| --- | --- | --- |"]
    for size in SIZES:
        p50, p99 = r["recommend_p50_ms"][str(size)], r["recommend_p99_ms"][str(size)]
        floor2 = r["read_floor_ms_by_threads"]["2"]
        note = ratios(p50) + (
            f", {p50 / floor:.2f}× floor, {p50 / floor2:.2f}× 2-core read floor"
            if size == 150
            else ""
        )
        lines.append(f"| recommend, {size} entries | p50 {p50:.2f} ms, p99 {p99:.2f} ms | {note} |")
    lines += [
        f"| explain, 150 entries | p50 {r['explain_p50_ms']:.1f} ms | top 10 + insights; by "
        "workers "
        + ", ".join(f"{w}: {v:.1f} ms" for w, v in r["explain_p50_ms_by_workers"].items())
        + " |",
        f"| throughput, batch 64 × 150 | {r['throughput_per_s']:.0f} profiles/s | by workers "
        + ", ".join(f"{w}: {v:.0f}/s" for w, v in r["throughput_per_s_by_workers"].items())
        + " |",
        f"| load | {r['load_s']:.2f} s | {r['load_unverified_s']:.2f} s without sha256 |",
        f"| RSS | {r['rss_bytes'] / 2**20:.0f} MiB | weights {r['weight_bytes'] / 2**20:.0f} MiB "
        f"({r['rss_bytes'] / r['weight_bytes']:.2f}×) |",
        f"| dense NumPy forward, 150 | p50 {dense:.2f} ms | reference.forward |",
        f"| JAX-jit forward, 150 | p50 {jax_ms:.2f} ms | {r['jax']} |"
        if jax_ms
        else f"| JAX-jit forward | n/a | {r['jax']} |",
        f"| bandwidth floor, 150 | {floor:.2f} ms | copy {r['copy_bandwidth_gb_s']:.1f} GB/s |",
        "| read floor, 150 | "
        + "; ".join(
            f"{t} thread{'s' if t != '1' else ''}: {ms:.2f} ms"
            for t, ms in r["read_floor_ms_by_threads"].items()
        )
        + " | GEMV streaming "
        + ", ".join(f"{v:.1f}" for v in r["read_bandwidth_gb_s_by_threads"].values())
        + " GB/s |",
    ]
    lines.append(
        "| recommend, 150, by setup | "
        + "; ".join(f"{t}: {ms:.2f} ms" for t, ms in r["recommend_150_p50_ms_by_setup"].items())
        + " | p50 |"
    )
    lines.append(
        "| CPU time, one thread | recommend 150: "
        f"{r['cpu_time_p50_ms_one_thread']['recommend_150']:.2f} ms; explain 150: "
        f"{r['cpu_time_p50_ms_one_thread']['explain_150']:.1f} ms | p50, load-insensitive |"
    )
    lines.append("\nWhere the time goes (recommend, 150 entries, p50 per stage):\n")
    lines += ["| stage | ms |", "| --- | --- |"]
    lines += [f"| {k} | {v:.3f} |" for k, v in r["recommend_150_stages_p50_ms"].items()]
    fast = r.get("fast")
    if fast:
        lines.append(
            f"\nOpt-in fast={fast['mode']} (shortlist {fast['shortlist']}), float32 in the same "
            "turns:\n"
        )
        lines += ["| figure | fast | float32 | ratio |", "| --- | --- | --- | --- |"]
        for size in SIZES:
            a, b = fast["recommend_p50_ms"][str(size)], fast["float32_recommend_p50_ms"][str(size)]
            lines.append(
                f"| recommend p50, {size} entries | {a:.2f} ms "
                f"(p99 {fast['recommend_p99_ms'][str(size)]:.2f}) | {b:.2f} ms | {a / b:.2f}× |"
            )
        a, b = fast["throughput_per_s"], fast["float32_throughput_per_s"]
        lines.append(f"| throughput, batch 64 × 150 | {a:.0f}/s | {b:.0f}/s | {a / b:.2f}× |")
        # The fast recommender is a second load of the artifact here, so its RSS growth counts
        # the engine twice; one process in fast mode holds the float32 RSS plus extra_bytes.
        held = (r["rss_bytes"] + fast["extra_bytes"]) / r["weight_bytes"]
        lines.append(
            f"| load, memory | {fast['load_s']:.2f} s, +{fast['extra_bytes'] / 2**20:.0f} MiB "
            f"held (RSS ≈ {held:.2f}× weights) | RSS {r['rss_bytes'] / r['weight_bytes']:.2f}× "
            f"weights | second load's RSS +{fast['rss_added_bytes'] / 2**20:.0f} MiB |"
        )
    blas = r["blas"]
    lines.append(
        f"\nBLAS: {blas.get('corename')} kernel, {r['blas_threads']} threads, "
        f"{r['workers']} workers "
        f"(OPENBLAS_CORETYPE={blas.get('OPENBLAS_CORETYPE')}); load average "
        + ", ".join(f"{v:.2f}" for v in r["load_average"])
    )
    return "\n".join(lines)
