"""The local stack around the fake Discord: a small anime catalog, a tiny random model, a
migrated database, MAL list exports, and the real bot as a separate ``python -m bot`` process.

Shared by the end-to-end tests, ``make demo`` and the load test; nothing here needs
``../shared`` or the network.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import numpy as np

ROOT = Path(__file__).resolve().parents[3]


@dataclass(frozen=True)
class Anime:
    """One catalog title, with what the fake MAL serves about it."""

    anime_id: int
    title: str
    media_type: str = "tv"
    en: str = ""
    synonyms: tuple[str, ...] = ()
    genres: tuple[str, ...] = ()
    mean: float | None = None

    def mal_fields(self) -> dict[str, Any]:
        """Keyword arguments for ``FakeMal.add_anime``."""
        return {
            "title": self.title,
            "media_type": self.media_type,
            "alternative_titles": {"en": self.en, "ja": "", "synonyms": list(self.synonyms)},
            "genres": list(self.genres),
            "mean": self.mean,
            "num_list_users": 1000,
        }


CATALOG: tuple[Anime, ...] = (
    Anime(1, "Cowboy Bebop", en="Cowboy Bebop", genres=("Action", "Sci-Fi"), mean=8.75),
    Anime(5, "Cowboy Bebop: Tengoku no Tobira", "movie", en="Cowboy Bebop: The Movie"),
    Anime(6, "Trigun", genres=("Action", "Sci-Fi"), mean=8.2),
    Anime(19, "Monster", genres=("Mystery", "Drama"), mean=8.9),
    Anime(20, "Naruto", genres=("Action", "Adventure"), mean=8.0),
    Anime(21, "One Piece", genres=("Action", "Adventure"), mean=8.7),
    Anime(30, "Shinseiki Evangelion", en="Neon Genesis Evangelion", genres=("Mecha",)),
    Anime(
        32,
        "Shinseiki Evangelion Movie: Air/Magokoro wo, Kimi ni",
        "movie",
        en="Neon Genesis Evangelion: The End of Evangelion",
    ),
    Anime(43, "Koukaku Kidoutai", "movie", en="Ghost in the Shell", genres=("Sci-Fi",)),
    Anime(47, "Akira", "movie", en="Akira", genres=("Action", "Sci-Fi")),
    Anime(121, "Fullmetal Alchemist", en="Fullmetal Alchemist", synonyms=("Hagaren",)),
    Anime(164, "Mononoke Hime", "movie", en="Princess Mononoke", genres=("Adventure",)),
    Anime(199, "Sen to Chihiro no Kamikakushi", "movie", en="Spirited Away", mean=8.8),
    Anime(205, "Samurai Champloo", en="Samurai Champloo", genres=("Action",)),
    Anime(269, "Bleach", en="Bleach", genres=("Action",)),
    Anime(431, "Howl no Ugoku Shiro", "movie", en="Howl's Moving Castle"),
    Anime(523, "Tonari no Totoro", "movie", en="My Neighbor Totoro"),
    Anime(813, "Dragon Ball Z", en="Dragon Ball Z", genres=("Action",)),
    Anime(820, "Ginga Eiyuu Densetsu", "ova", en="Legend of the Galactic Heroes", mean=9.0),
    Anime(1535, "Death Note", en="Death Note", genres=("Mystery", "Supernatural"), mean=8.6),
    Anime(1575, "Code Geass: Hangyaku no Lelouch", en="Code Geass: Lelouch of the Rebellion"),
    Anime(2001, "Tengen Toppa Gurren Lagann", en="Gurren Lagann", genres=("Mecha",)),
    Anime(2167, "Clannad", en="Clannad", genres=("Drama", "Romance")),
    Anime(2904, "Code Geass: Hangyaku no Lelouch R2", en="Code Geass: Lelouch of the Rebellion R2"),
    Anime(4181, "Clannad: After Story", en="Clannad: After Story", mean=8.9),
    Anime(
        5114,
        "Fullmetal Alchemist: Brotherhood",
        en="Fullmetal Alchemist: Brotherhood",
        synonyms=("FMA", "FMAB", "Hagane no Renkinjutsushi"),
        genres=("Action", "Adventure"),
        mean=9.1,
    ),
    Anime(6547, "Angel Beats!", en="Angel Beats!", genres=("Drama",)),
    Anime(6702, "Fairy Tail", en="Fairy Tail", genres=("Adventure", "Fantasy")),
    Anime(9253, "Steins;Gate", en="Steins;Gate", genres=("Sci-Fi", "Suspense"), mean=9.07),
    Anime(9919, "Ao no Exorcist", en="Blue Exorcist", genres=("Action", "Fantasy")),
    Anime(10620, "Mirai Nikki", en="The Future Diary", genres=("Suspense",)),
    Anime(11061, "Hunter x Hunter (2011)", en="Hunter x Hunter", synonyms=("HxH",), mean=9.0),
    Anime(11757, "Sword Art Online", en="Sword Art Online", synonyms=("SAO",)),
    Anime(13601, "Psycho-Pass", en="Psycho-Pass", genres=("Sci-Fi", "Suspense")),
    Anime(16498, "Shingeki no Kyojin", en="Attack on Titan", synonyms=("AoT", "SnK")),
    Anime(18679, "Kill la Kill", en="Kill la Kill", genres=("Action", "Comedy")),
    Anime(20583, "Haikyuu!!", en="Haikyu!!", genres=("Sports",)),
    Anime(22319, "Tokyo Ghoul", en="Tokyo Ghoul", genres=("Horror",)),
    Anime(23273, "Shigatsu wa Kimi no Uso", en="Your Lie in April", genres=("Drama",)),
    Anime(28851, "Koe no Katachi", "movie", en="A Silent Voice", genres=("Drama",)),
    Anime(30276, "One Punch Man", en="One Punch Man", genres=("Action", "Comedy")),
    Anime(31964, "Boku no Hero Academia", en="My Hero Academia", genres=("Action",)),
    Anime(32281, "Kimi no Na wa.", "movie", en="Your Name.", genres=("Romance", "Drama")),
    Anime(37521, "Vinland Saga", en="Vinland Saga", genres=("Action", "Adventure")),
    Anime(38000, "Kimetsu no Yaiba", en="Demon Slayer: Kimetsu no Yaiba"),
    Anime(40748, "Jujutsu Kaisen", en="Jujutsu Kaisen", genres=("Action", "Fantasy")),
    Anime(52991, "Sousou no Frieren", en="Frieren: Beyond Journey's End", mean=9.3),
    Anime(
        34, "Hikaru no Go: Sai Kyuu", "special", en="Hikaru no Go: Journey to the North Star Cup"
    ),
)
"""About fifty well-known titles with their real MAL ids (the built-in catalog)."""

# (anime_id, score, status): a plausible list over the catalog.
SAMPLE_LIST: tuple[tuple[int, int, str], ...] = (
    (5114, 10, "completed"),
    (9253, 9, "completed"),
    (1535, 8, "completed"),
    (16498, 8, "completed"),
    (1, 9, "completed"),
    (11061, 9, "watching"),
    (30276, 7, "completed"),
    (11757, 4, "dropped"),
    (199, 9, "completed"),
    (32281, 8, "completed"),
    (1575, 0, "completed"),
    (20, 6, "on_hold"),
    (52991, 0, "plan_to_watch"),
    (37521, 0, "plan_to_watch"),
)


def catalog_by_id(catalog: Iterable[Anime] = CATALOG) -> dict[int, Anime]:
    return {a.anime_id: a for a in catalog}


def build_tiny_model(
    directory: str | os.PathLike[str],
    catalog: Sequence[Anime] = CATALOG,
    *,
    seed: int = 0,
    item_counts: Sequence[int] | None = None,
    full_size: bool = False,
) -> Path:
    """A random-weight artifact over ``catalog``, in order: contracts.md's tiny config, or with
    ``full_size`` the default (serving-sized) layers, for load measurements."""
    from model.artifact import save_artifact
    from model.reference import NetworkConfig, random_weights

    if full_size:
        config = NetworkConfig(len(catalog))
    else:
        config = NetworkConfig(len(catalog), encoder=(32, 16), decoder=(32,))
    ids = np.asarray([a.anime_id for a in catalog], dtype=np.int64)
    counts = np.asarray(
        item_counts if item_counts is not None else range(len(catalog) * 10, 0, -10),
        dtype=np.int64,
    )
    items = [
        {"anime_id": a.anime_id, "title": a.title, "media_type": a.media_type} for a in catalog
    ]
    return save_artifact(
        Path(directory),
        config=config,
        weights=random_weights(config, seed=seed),
        corpus_ids=ids,
        item_counts=counts,
        items=items,
        metadata={"note": "random weights, for tests and demos", "score_weight": 0.3},
    )


EXPORT_TYPES = {"tv": "TV", "movie": "Movie", "ova": "OVA", "ona": "ONA", "special": "Special"}


def mal_export_xml(
    username: str,
    entries: Iterable[tuple[int, int, str]],
    titles: Mapping[int, Anime] | None = None,
) -> bytes:
    """A MyAnimeList list export (the XML that "Export my list" downloads)."""
    titles = titles if titles is not None else catalog_by_id()
    status_names = {
        "watching": "Watching",
        "completed": "Completed",
        "on_hold": "On-Hold",
        "dropped": "Dropped",
        "plan_to_watch": "Plan to Watch",
    }
    rows = []
    for anime_id, score, status in entries:
        anime = titles.get(anime_id)
        title = anime.title if anime else f"Anime {anime_id}"
        kind = EXPORT_TYPES.get(anime.media_type if anime else "tv", "Unknown")
        rows.append(
            "\t<anime>\n"
            f"\t\t<series_animedb_id>{anime_id}</series_animedb_id>\n"
            f"\t\t<series_title><![CDATA[{title}]]></series_title>\n"
            f"\t\t<series_type>{kind}</series_type>\n"
            "\t\t<series_episodes>12</series_episodes>\n"
            "\t\t<my_id>0</my_id>\n"
            "\t\t<my_watched_episodes>12</my_watched_episodes>\n"
            "\t\t<my_start_date>0000-00-00</my_start_date>\n"
            "\t\t<my_finish_date>0000-00-00</my_finish_date>\n"
            f"\t\t<my_score>{score}</my_score>\n"
            f"\t\t<my_status>{status_names[status]}</my_status>\n"
            "\t\t<my_times_watched>0</my_times_watched>\n"
            "\t\t<update_on_import>1</update_on_import>\n"
            "\t</anime>\n"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8" ?>\n<myanimelist>\n'
        "\t<myinfo>\n"
        f"\t\t<user_name>{escape(username)}</user_name>\n"
        "\t\t<user_export_type>1</user_export_type>\n"
        f"\t\t<user_total_anime>{len(rows)}</user_total_anime>\n"
        "\t</myinfo>\n" + "".join(rows) + "</myanimelist>\n"
    ).encode()


def sqlite_url(path: str | os.PathLike[str]) -> str:
    return f"sqlite+aiosqlite:///{Path(path)}"


async def migrate(url: str) -> None:
    """Apply the real Alembic migrations to ``url`` (``alembic upgrade head``)."""
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import pool

    from bot.db.engine import create_engine

    engine = create_engine(url, foreign_keys=False, poolclass=pool.NullPool)
    try:
        async with engine.connect() as connection:

            def run(sync_connection: object) -> None:
                config = Config(str(ROOT / "alembic.ini"))
                config.set_main_option("script_location", str(ROOT / "migrations"))
                config.attributes["configure_logger"] = False
                config.attributes["connection"] = sync_connection
                command.upgrade(config, "head")

            await connection.run_sync(run)
            await connection.commit()
    finally:
        await engine.dispose()


def bot_environment(
    *,
    discord_env: Mapping[str, str],
    mal_base_url: str,
    database_url: str,
    model_path: str | os.PathLike[str],
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Settings for a bot pointed at the fakes, as environment variables (no real secrets)."""
    return {
        **discord_env,
        "MAL_CLIENT_ID": "fake-mal-client-id",
        "MAL_API_BASE_URL": mal_base_url,
        "MAL_REQUESTS_PER_SECOND": "0",
        "MAL_MAX_RETRIES": "1",
        "MAL_TIMEOUT_SECONDS": "5",
        "DATABASE_URL": database_url,
        "MODEL_PATH": str(model_path),
        "LOG_LEVEL": "INFO",
        **(extra or {}),
    }


class BotProcess:
    """``python -m bot`` as a child process, with its log in a file.

    It runs in an empty working directory so a developer's ``.env`` (real tokens, a real
    ``DEV_GUILD_ID``) can never leak into it; the repository is put on ``PYTHONPATH``.
    """

    def __init__(self, env: Mapping[str, str], *, workdir: str | os.PathLike[str] | None = None):
        self._tmp = None if workdir is not None else tempfile.TemporaryDirectory(prefix="anirec-")
        self.workdir = Path(workdir) if workdir is not None else Path(self._tmp.name)  # type: ignore[union-attr]
        self.log_path = self.workdir / "bot.log"
        base = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR")}
        self.env = {**base, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1", **env}
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        log = open(self.log_path, "wb")  # noqa: SIM115 - the child owns it until stop()
        self._log = log
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot"],
            cwd=self.workdir,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def log_tail(self, lines: int = 30) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    async def stop(self, grace: float = 15.0) -> int | None:
        """SIGINT (a clean shutdown), then SIGKILL after ``grace`` seconds; the exit code."""
        process = self.process
        if process is None:
            return None
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            for _ in range(int(grace * 10)):
                if process.poll() is not None:
                    break
                await asyncio.sleep(0.1)
            else:
                process.kill()
        code = process.wait()
        self._log.close()
        return code

    def cleanup(self) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()


# --------------------------------------------------------------------------- real data


SHARED_DATA = ROOT.parent / "shared" / "data" / "anime-5k"

ListEntries = list[tuple[int, int, str]]


def load_anime_csv(path: str | os.PathLike[str]) -> dict[int, Anime]:
    """Titles, media types, genres and mean scores from a Kaggle-layout ``anime.csv``.

    The Kaggle dump's names are HTML-escaped (``Wolf&#039;s Rain``); they are unescaped here.
    """
    import csv
    import html

    out: dict[int, Anime] = {}
    with open(path, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            try:
                mean = float(row["rating"]) if row.get("rating") else None
            except ValueError:
                mean = None
            genres = tuple(g.strip() for g in (row.get("genre") or "").split(",") if g.strip())
            out[int(row["anime_id"])] = Anime(
                int(row["anime_id"]),
                html.unescape(row["name"]),
                (row.get("type") or "unknown").lower() or "unknown",
                genres=genres,
                mean=mean,
            )
    return out


def load_rating_csv(path: str | os.PathLike[str]) -> dict[str, ListEntries]:
    """Lists from a Kaggle ``rating.csv`` as ``{"user<ID>": [(anime_id, score, "completed")]}``
    (−1, "watched but unscored", becomes score 0)."""
    import csv

    lists: dict[str, ListEntries] = {}
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        next(reader, None)
        for user_id, anime_id, rating in reader:
            lists.setdefault(f"user{user_id}", []).append(
                (int(anime_id), max(int(rating), 0), "completed")
            )
    return lists


def pick_users(
    lists: Mapping[str, ListEntries],
    corpus: set[int] | None,
    count: int,
    *,
    min_entries: int = 20,
    max_entries: int = 80,
) -> list[str]:
    """The first ``count`` users (file order) with a mid-sized, mostly in-corpus, mostly scored
    list: good samples for a demo."""
    chosen = []
    for name, entries in lists.items():
        if not min_entries <= len(entries) <= max_entries:
            continue
        known = sum(1 for e in entries if corpus is None or e[0] in corpus)
        scored = sum(1 for e in entries if e[1] > 0)
        if known >= 0.9 * len(entries) and scored >= 0.7 * len(entries):
            chosen.append(name)
            if len(chosen) == count:
                break
    return chosen


def popular_ids(lists: Mapping[str, ListEntries], count: int) -> list[int]:
    """The ``count`` anime on the most lists."""
    from collections import Counter

    counts = Counter(anime_id for entries in lists.values() for anime_id, _, _ in entries)
    return [anime_id for anime_id, _ in counts.most_common(count)]


def artifact_catalog(model_path: str | os.PathLike[str]) -> list[Anime]:
    """The corpus of an existing model artifact as catalog entries (raises ArtifactError)."""
    from model.artifact import load_artifact

    artifact = load_artifact(model_path, verify=True)
    return [
        Anime(int(item["anime_id"]), str(item["title"]), str(item.get("media_type") or "tv"))
        for item in artifact.items
    ]


# --------------------------------------------------------------------------- the whole stack


@dataclass
class Stack:
    """Running fakes, a guild with members, and the bot process."""

    discord: Any  # FakeDiscord
    mal: Any  # FakeMal
    guild: Any  # FakeGuild
    members: dict[str, Any]  # Discord username → FakeMember
    bot: BotProcess


class StackError(RuntimeError):
    """The bot process did not come up; the message carries its log's tail."""


@contextlib.asynccontextmanager
async def local_stack(
    *,
    model_path: str | os.PathLike[str],
    anime: Iterable[Anime],
    lists: Mapping[str, Iterable[tuple[int, int, str]]],
    members: Iterable[str],
    workdir: str | os.PathLike[str],
    heartbeat_interval: float = 41.25,
    ack_deadline: float = 3.0,
    ready_within: float = 90.0,
    extra_env: Mapping[str, str] | None = None,
) -> AsyncIterator[Stack]:
    """Start the fake MAL and fake Discord here, the real bot as ``python -m bot`` next to them
    (migrated SQLite DB under ``workdir``), and stop everything on exit."""
    from tests.fakes.discord.server import FakeDiscord
    from tests.fakes.mal import FakeMal

    workdir = Path(workdir)
    database_url = sqlite_url(workdir / "anirec.db")
    await migrate(database_url)
    mal_anime = {a.anime_id: a.mal_fields() for a in anime}
    async with (
        FakeMal.running(lists={k: list(v) for k, v in lists.items()}, anime=mal_anime) as mal,
        FakeDiscord.running(
            heartbeat_interval=heartbeat_interval, ack_deadline=ack_deadline
        ) as fake,
    ):
        guild = fake.add_guild("anirec demo")
        joined = {name: fake.add_member(guild, name) for name in members}
        env = bot_environment(
            discord_env=fake.env(),
            mal_base_url=mal.base_url,
            database_url=database_url,
            model_path=ROOT / model_path,  # relative to the repository (the bot runs elsewhere)
            extra=extra_env,
        )
        bot = BotProcess(env, workdir=workdir)
        bot.start()
        try:
            ready = asyncio.ensure_future(fake.wait_until_ready(within=ready_within))
            while not ready.done():
                if not bot.running():
                    ready.cancel()
                    raise StackError(
                        f"the bot exited with code {bot.process and bot.process.returncode} "
                        f"before connecting:\n{bot.log_tail()}"
                    )
                await asyncio.wait({ready}, timeout=0.2)
            try:
                ready.result()
            except TimeoutError as exc:
                raise StackError(
                    f"the bot did not connect within {ready_within:.0f} s:\n{bot.log_tail()}"
                ) from exc
            # discord.py dispatches on_ready a moment after the last GUILD_CREATE.
            await asyncio.sleep(0.5)
            yield Stack(fake, mal, guild, joined, bot)
        finally:
            await bot.stop()
