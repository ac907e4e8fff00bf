"""Anime for the local stack: a built-in catalog of well-known titles, a sample list, MAL list
exports, and lists and titles from the Kaggle-layout data in ``../shared/data`` (for demos and
load tests only; tests use the built-in catalog)."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parents[2]


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
