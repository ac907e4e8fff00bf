"""``python -m model read-list FILE [--json]``: read one list file exactly as ``/import`` does.

The file goes through :func:`model.listformats.read_import`, the function behind the bot's
``/import``: the same upload, byte and entry limits, the same formats (MAL's export XML or MAL
API animelist JSON, plain or gzip) and the same refusals.

Prints what was read (format, owner, entries, entries skipped and why, and the notes the bot
adds to its reply), or with ``--json`` one object::

    {"format": "mal_export_xml" | "mal_api_json", "gzip": bool, "user": str | null,
     "entries": [{"anime_id", "score", "status"}, ...],
     "skipped": [{"reason": "no_mal_id" | "duplicate", "line", "anime_id", "title"}, ...]}

Exit status: 0 read; 2 refused (the one-sentence reason on stderr, naming the file and, where
there is one, the line); 1 the file could not be opened (missing, a directory, no permission).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from model.listformats import GZIP_MAGIC, ListTooLarge, ParsedList, read_import
from model.profile import ListFormatError

EXIT_REFUSED = 2
EXIT_UNREADABLE = 1

FORMAT_NAMES = {"mal_export_xml": "MAL export XML", "mal_api_json": "MAL API animelist JSON"}


def as_json(parsed: ParsedList, gzipped: bool) -> dict[str, Any]:
    """The ``--json`` object of a list that was read."""
    return {
        "format": parsed.format,
        "gzip": gzipped,
        "user": parsed.username,
        "entries": [
            {"anime_id": e.anime_id, "score": e.score, "status": e.status} for e in parsed.entries
        ],
        "skipped": [s.to_json() for s in parsed.skipped],
    }


def as_text(parsed: ParsedList, gzipped: bool) -> str:
    """What a person reads: one line per fact, one per skipped entry, then the bot's notes."""
    name = FORMAT_NAMES.get(parsed.format or "", str(parsed.format))
    lines = [
        f"file: {parsed.source}",
        f"format: {name}{' (gzip)' if gzipped else ''}",
        f"owner: {parsed.username if parsed.username is not None else '(not named)'}",
        f"entries: {len(parsed.entries):,}",
        f"skipped: {len(parsed.skipped):,}",
    ]
    for skip in parsed.skipped:
        where = f"line {skip.line}" if skip.line is not None else "entry"
        title = f" {skip.title!r}" if skip.title else ""
        if skip.reason == "no_mal_id":
            lines.append(f"  {where}:{title} no MyAnimeList id")
        else:
            lines.append(
                f"  {where}: anime {skip.anime_id}{title} again later with a different score "
                "or status; the later entry was kept"
            )
    lines.extend(f"note: {note}" for note in parsed.notes())
    return "\n".join(lines)


def read_list(path: str, *, json_out: bool) -> int:
    """Read ``path`` and print it (stdout) or the refusal (stderr); returns the exit status."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        print(f"error: {path}: cannot read the file ({exc.strerror or exc})", file=sys.stderr)
        return EXIT_UNREADABLE
    try:
        parsed = read_import(data, path)
    except ListTooLarge as exc:
        print(f"refused ({exc.limit} limit): {exc}", file=sys.stderr)
        return EXIT_REFUSED
    except ListFormatError as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    gzipped = data[:2] == GZIP_MAGIC
    if json_out:
        print(json.dumps(as_json(parsed, gzipped), ensure_ascii=False))
    else:
        print(as_text(parsed, gzipped))
    return 0


def _read_list(args: argparse.Namespace) -> int:
    return read_list(args.file, json_out=args.json)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "read-list",
        help="read one list file exactly as /import does and print what was read",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("file", help="a MAL export (.xml or .xml.gz) or MAL API animelist JSON")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(handler=_read_list)
