"""Loader for files of MAL's "export list" XML (``*.xml``, ``*.xml.gz``), one member per file.

Each file is read with :func:`model.listformats.read_mal_export` (streamed, DTD-free). The user
key is ``<myinfo><user_name>`` when the export names one, otherwise the file name without its
``.xml``/``.xml.gz`` suffix.
"""

from __future__ import annotations

from pathlib import Path

from model.listformats import ParsedList, read_mal_export
from model.profile import ListFormatError, ProfileEntry

XML_SUFFIXES = (".xml", ".xml.gz")


def is_xml_file(path: Path) -> bool:
    """Whether a file name says MAL export XML."""
    return path.name.lower().endswith(XML_SUFFIXES)


def file_stem(path: Path, suffixes: tuple[str, ...]) -> str:
    """The file name without the first matching suffix (``alice.xml.gz`` → ``alice``)."""
    lower = path.name.lower()
    for suffix in sorted(suffixes, key=len, reverse=True):
        if lower.endswith(suffix):
            return path.name[: -len(suffix)]
    return path.name


def read_export_file(path: str | Path, *, max_bytes: int | None = None) -> ParsedList:
    """One export file (plain or gzip), parsed; ``max_bytes`` bounds its uncompressed size."""
    path = Path(path)
    try:
        with path.open("rb") as handle:
            return read_mal_export(handle, str(path), max_bytes=max_bytes)
    except OSError as exc:
        raise ListFormatError(str(path), f"cannot read: {exc.strerror or exc}") from exc


def load_mal_xml(
    path: str | Path, *, max_bytes: int | None = None
) -> dict[str, list[ProfileEntry]]:
    """A MAL export file, or a directory of them (``*.xml``, ``*.xml.gz``), as ``{user: entries}``.

    Two files naming the same user raise :class:`ListFormatError` (which list is right is
    not ours to guess).
    """
    path = Path(path)
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.is_file() and is_xml_file(p))
        if not files:
            raise ListFormatError(str(path), "no *.xml or *.xml.gz files in this directory")
    else:
        files = [path]
    profiles: dict[str, list[ProfileEntry]] = {}
    origin: dict[str, Path] = {}
    for file in files:
        parsed = read_export_file(file, max_bytes=max_bytes)
        user = parsed.username or file_stem(file, XML_SUFFIXES)
        if user in profiles:
            raise ListFormatError(
                str(file), f"user {user!r} was already loaded from {origin[user]}"
            )
        profiles[user] = parsed.entries
        origin[user] = file
    return profiles
