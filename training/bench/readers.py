"""``python -m training bench-readers``: peak memory and time of the list readers on big files.

Generates, under ``--out`` (a scratch folder, default a new one in the system temp folder):

* MAL exports in today's layout (every field MAL's exporter writes, ~970 bytes per ``<anime>``),
  gzipped as MAL serves them, of 100,000 entries (over ``/import``'s 30,000-entry limit: it
  shows how and where the refusal happens) and of 30,000 entries (the largest accepted);
  each is read by :func:`model.listformats.read_import`, the function behind ``/import``;
* a dataset file of about ``--dataset-bytes`` (default 1 GB) in the Kaggle 2020
  ``animelist.csv`` layout and/or the azathoth42 ``animelists_cleaned.csv`` layout (``--layouts``),
  read by the training loader of that layout (:mod:`training.data.kaggle2020`,
  :mod:`training.data.azathoth`).

Each read runs in a fresh child process that imports only the reader, reads, and reports its
own peak resident memory (``resource.getrusage(RUSAGE_SELF).ru_maxrss``, with ``VmHWM`` from
``/proc/self/status`` as a check) and the seconds the read took. A child started with the same
imports that reads nothing gives the baseline. Children are started through ``/bin/sh``, which
forks them: on Linux a process's ``ru_maxrss`` includes the memory of the process it was
``exec``-ed over, so a child exec-ed straight from this process would report at least this
process's own peak.

Prints a Markdown table; ``--json`` also writes the figures. Generated files are deleted unless
``--keep``. No JAX: this runs without the ``train`` extra.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Final

from model.listformats import DEFAULT_MAX_ENTRIES

EXPORT_SIZES: Final = (100_000, DEFAULT_MAX_ENTRIES)
LAYOUTS: Final = ("kaggle2020", "azathoth")
MEAN_LIST: Final = 335
"""Rows per user in the generated datasets: the Kaggle 2020 file's 109M rows over 325,772 users."""
ANIME_IDS: Final = 48_000
_EXPORT_STATUSES: Final = ("Completed", "Watching", "Plan to Watch", "Dropped", "On-Hold")
_STATUS_CODES: Final = (2, 2, 2, 1, 6, 6, 4, 3)


def export_record(anime_id: int, title: str, score: int, status: str) -> str:
    """One ``<anime>`` as MAL's exporter writes it today (every field, in its order)."""
    return f"""
	<anime>
		<series_animedb_id>{anime_id}</series_animedb_id>
		<series_title><![CDATA[{title}]]></series_title>
		<series_type>TV</series_type>
		<series_episodes>12</series_episodes>
		<my_id>0</my_id>
		<my_watched_episodes>12</my_watched_episodes>
		<my_start_date>2021-04-03</my_start_date>
		<my_finish_date>2021-06-19</my_finish_date>
		<my_rated></my_rated>
		<my_score>{score}</my_score>
		<my_storage></my_storage>
		<my_storage_value>0.00</my_storage_value>
		<my_status>{status}</my_status>
		<my_comments><![CDATA[]]></my_comments>
		<my_times_watched>0</my_times_watched>
		<my_rewatch_value></my_rewatch_value>
		<my_priority>LOW</my_priority>
		<my_tags><![CDATA[]]></my_tags>
		<my_rewatching>0</my_rewatching>
		<my_rewatching_ep>0</my_rewatching_ep>
		<my_discuss>1</my_discuss>
		<my_sns>default</my_sns>
		<update_on_import>0</update_on_import>
		<my_last_updated>{1_600_000_000 + anime_id}</my_last_updated>
		<my_num_tag_updates>0</my_num_tag_updates>
	</anime>"""


def write_export(path: Path, entries: int, seed: int = 0) -> dict[str, Any]:
    """A gzipped MAL export of ``entries`` distinct anime, streamed to ``path``.

    Returns its sizes and the uncompressed offset where entry ``DEFAULT_MAX_ENTRIES + 1``
    ends (where ``/import``'s entry limit stops the read).
    """
    rnd = random.Random(seed)
    head = (
        '<?xml version="1.0" encoding="UTF-8" ?>\n<myanimelist>\n\t<myinfo>\n'
        "\t\t<user_id>42</user_id>\n\t\t<user_name>bench</user_name>\n"
        f"\t\t<user_export_type>1</user_export_type>\n\t\t<user_total_anime>{entries}"
        "</user_total_anime>\n\t</myinfo>"
    )
    written = len(head)
    limit_offset = None
    with gzip.open(path, "wt", encoding="utf-8") as out:
        out.write(head)
        for i in range(entries):
            score = rnd.choice((0, 0, 0, 5, 6, 7, 7, 8, 8, 9, 10))
            title = f"Generated Title {rnd.randrange(10**6)} Season {i % 4 + 1}"
            record = export_record(i + 1, title, score, rnd.choice(_EXPORT_STATUSES))
            out.write(record)
            written += len(record)
            if i + 1 == DEFAULT_MAX_ENTRIES + 1:
                limit_offset = written
        tail = "\n</myanimelist>\n"
        out.write(tail)
        written += len(tail)
    return {
        "entries": entries,
        "bytes_gz": path.stat().st_size,
        "bytes_uncompressed": written,
        "limit_offset": limit_offset,
    }


def _row_pool(layout: str, rnd: random.Random, size: int = 200_003) -> list[str]:
    """Row tails after the user column: random anime, score and status, one per pool slot."""
    pool = []
    for _ in range(size):
        anime = rnd.randint(1, ANIME_IDS)
        status = rnd.choice(_STATUS_CODES)
        score = 0 if status == 6 or rnd.random() < 0.3 else rnd.randint(1, 10)
        episodes = rnd.randint(0, 26)
        if layout == "kaggle2020":
            pool.append(f",{anime},{score},{status},{episodes}\n")
        else:
            day = f"20{rnd.randint(10, 18)}-0{rnd.randint(1, 9)}-1{rnd.randint(0, 9)}"
            pool.append(
                f",{anime},{episodes},{day},0000-00-00,{score},{status},,0,{day} 10:52:53,\n"
            )
    return pool


HEADERS: Final = {
    "kaggle2020": "user_id,anime_id,score,watching_status,watched_episodes\n",
    "azathoth": "username,anime_id,my_watched_episodes,my_start_date,my_finish_date,my_score,"
    "my_status,my_rewatching,my_rewatching_ep,my_last_updated,my_tags\n",
}
FILE_NAMES: Final = {"kaggle2020": "animelist.csv", "azathoth": "animelists_cleaned.csv"}


def write_dataset(path: Path, layout: str, target_bytes: int, seed: int = 0) -> dict[str, Any]:
    """A dataset file of about ``target_bytes`` in ``layout``, grouped by user like the real ones.

    Each user's rows are a run of a shuffled pool (lists of 1 to 2×:data:`MEAN_LIST` rows), so
    an id can repeat within a list now and then, as real dumps' rows do.
    """
    rnd = random.Random(seed)
    pool = _row_pool(layout, rnd)
    rows = users = 0
    written = 0
    with path.open("w", encoding="ascii", newline="") as out:
        written += out.write(HEADERS[layout])
        while written < target_bytes:
            size = rnd.randint(1, 2 * MEAN_LIST)
            start = rnd.randrange(len(pool) - size)
            user = str(users) if layout == "kaggle2020" else f"user{users:07d}"
            written += out.write(user.join(("", *pool[start : start + size])))
            rows += size
            users += 1
    return {"layout": layout, "bytes": path.stat().st_size, "rows": rows, "users": users}


_CHILD_PRELUDE = """
import json, resource, sys, time
def _peak():
    hwm = None
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    hwm = int(line.split()[1])
    except OSError:
        pass
    return {"maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "vmhwm_kib": hwm}
"""

_CHILD_CODE: Final = {
    "import": _CHILD_PRELUDE
    + """
from pathlib import Path
from model.listformats import ListTooLarge, read_import
from model.profile import ListFormatError
path = sys.argv[1]
result = {}
if path:
    start = time.perf_counter()
    data = Path(path).read_bytes()
    try:
        parsed = read_import(data, path)
        result["outcome"] = f"read {len(parsed.entries):,} entries"
        result["entries"] = len(parsed.entries)
    except ListTooLarge as exc:
        result["outcome"] = f"refused ({exc.limit} limit): {exc}"
    except ListFormatError as exc:
        result["outcome"] = f"refused: {exc}"
    result["seconds"] = time.perf_counter() - start
print(json.dumps({**result, **_peak()}))
""",
    "kaggle2020": _CHILD_PRELUDE
    + """
from training.data.kaggle2020 import load_kaggle2020
path = sys.argv[1]
result = {}
if path:
    start = time.perf_counter()
    profiles, skipped = load_kaggle2020(path)
    result["seconds"] = time.perf_counter() - start
    result["users"] = len(profiles)
    result["entries"] = sum(map(len, profiles.values()))
    result["outcome"] = f"read {result['users']:,} users, {result['entries']:,} entries"
print(json.dumps({**result, **_peak()}))
""",
    "azathoth": _CHILD_PRELUDE
    + """
from training.data.azathoth import load_azathoth
path = sys.argv[1]
result = {}
if path:
    start = time.perf_counter()
    profiles = load_azathoth(path)
    result["seconds"] = time.perf_counter() - start
    result["users"] = len(profiles)
    result["entries"] = sum(map(len, profiles.values()))
    result["outcome"] = f"read {result['users']:,} users, {result['entries']:,} entries"
print(json.dumps({**result, **_peak()}))
""",
}


def measure(reader: str, path: Path | None) -> dict[str, Any]:
    """Run ``reader`` on ``path`` (``None``: imports only) in a fresh child; its figures."""
    # Through /bin/sh so that the child is forked from the small shell, not exec-ed over this
    # process (whose peak its ru_maxrss would otherwise include); "exit $?" keeps sh from
    # exec-ing the command in place.
    argv = [sys.executable, "-c", _CHILD_CODE[reader], str(path) if path else ""]
    done = subprocess.run(
        ["/bin/sh", "-c", '"$@"; exit $?', "sh", *argv],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    if done.returncode != 0:
        raise RuntimeError(f"{reader} child failed ({done.returncode}): {done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _mib(kib: int | None) -> str:
    return "n/a" if kib is None else f"{kib / 1024:,.0f} MiB"


def format_table(result: dict[str, Any]) -> str:
    lines = [
        "| file | size | reader | outcome | time | peak RSS | over baseline |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in result["rows"]:
        base = result["baseline"][row["reader"]]["maxrss_kib"]
        rate = f" ({row['rows_per_s'] / 1e6:.2f}M rows/s)" if row.get("rows_per_s") else ""
        lines.append(
            f"| {row['file']} | {row['size']} | {row['reader']} | {row['outcome'][:120]} | "
            f"{row['seconds']:.1f} s{rate} | {_mib(row['maxrss_kib'])} | "
            f"{_mib(row['maxrss_kib'] - base)} |"
        )
    lines.append("")
    for reader, base in result["baseline"].items():
        lines.append(f"baseline ({reader}: imports only, nothing read): {_mib(base['maxrss_kib'])}")
    return "\n".join(lines)


def run_readers_bench(
    out: Path,
    *,
    export_sizes: tuple[int, ...],
    layouts: tuple[str, ...],
    dataset_bytes: int,
    keep: bool = False,
) -> dict[str, Any]:
    """Generate the files under ``out``, read each in a child, and return every figure."""
    out.mkdir(parents=True, exist_ok=True)
    readers = (["import"] if export_sizes else []) + list(layouts)
    result: dict[str, Any] = {
        "python": sys.version.split()[0],
        "cpus": os.cpu_count(),
        "baseline": {reader: measure(reader, None) for reader in readers},
        "rows": [],
    }
    for entries in export_sizes:
        path = out / f"animelist_{entries}.xml.gz"
        start = time.perf_counter()
        info = write_export(path, entries)
        print(f"wrote {path} in {time.perf_counter() - start:.0f} s: {info}", file=sys.stderr)
        row = {
            "file": path.name,
            "size": f"{info['bytes_gz'] / 1e6:.1f} MB gz, {info['bytes_uncompressed'] / 1e6:.0f} "
            "MB XML",
            "reader": "import",
            **info,
            **measure("import", path),
        }
        if row["outcome"].startswith("refused (entries limit)") and info["limit_offset"]:
            where = info["limit_offset"] / 1e6
            row["outcome"] = (
                f"refused at entry {DEFAULT_MAX_ENTRIES + 1:,} ({where:.0f} MB into the XML): "
                f"more than {DEFAULT_MAX_ENTRIES:,} entries"
            )
        result["rows"].append(row)
        print(f"  {row['outcome']}: {_mib(row['maxrss_kib'])}", file=sys.stderr)
        if not keep:
            path.unlink()
    for layout in layouts:
        path = out / FILE_NAMES[layout]
        start = time.perf_counter()
        info = write_dataset(path, layout, dataset_bytes)
        print(f"wrote {path} in {time.perf_counter() - start:.0f} s: {info}", file=sys.stderr)
        figures = measure(layout, path)
        row = {
            "file": f"{path.name} ({layout})",
            "size": f"{info['bytes'] / 1e9:.2f} GB, {info['rows'] / 1e6:.1f}M rows",
            "reader": layout,
            **info,
            **figures,
            "rows_per_s": info["rows"] / figures["seconds"],
        }
        result["rows"].append(row)
        print(f"  {row['outcome']}: {_mib(row['maxrss_kib'])}", file=sys.stderr)
        if not keep:
            path.unlink()
    return result


def _bench_readers(args: argparse.Namespace) -> int:
    scratch = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="anirec-readers-"))
    layouts = tuple(x for x in args.layouts.split(",") if x)
    unknown = [x for x in layouts if x not in LAYOUTS]
    if unknown:
        print(
            f"error: unknown layout {unknown[0]!r}; expected {', '.join(LAYOUTS)}", file=sys.stderr
        )
        return 2
    sizes = tuple(int(x) for x in args.export_entries.split(",") if x)
    try:
        result = run_readers_bench(
            scratch,
            export_sizes=sizes,
            layouts=layouts,
            dataset_bytes=int(args.dataset_bytes),
            keep=args.keep,
        )
    finally:
        if not args.keep and not args.out:
            shutil.rmtree(scratch, ignore_errors=True)
    print(format_table(result))
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(result, indent=1) + "\n")
    return 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "bench-readers",
        help="peak memory reading a 100,000-entry MAL export and a 1 GB dataset file",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--out", help="scratch folder for the generated files (not the repo)")
    parser.add_argument(
        "--export-entries",
        default=",".join(map(str, EXPORT_SIZES)),
        help="comma-separated export sizes in entries ('' for none)",
    )
    parser.add_argument(
        "--layouts", default="kaggle2020", help=f"dataset layouts, of {','.join(LAYOUTS)}"
    )
    parser.add_argument("--dataset-bytes", type=float, default=1e9, help="dataset file size")
    parser.add_argument("--json", help="also write the figures as JSON here")
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    parser.set_defaults(handler=_bench_readers)
