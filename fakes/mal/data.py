"""What a :class:`~fakes.mal.FakeMal` serves: users' lists and anime records.

List entries may be ``(anime_id, score[, status])`` tuples, objects with ``anime_id``/
``score``/``status`` attributes (``ProfileEntry``, ``MalListEntry``) or dicts with ``anime_id``
and any of ``status, score, num_episodes_watched, is_rewatching, updated_at, title``.
Usernames are case-insensitive, as on MAL.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

STATUSES = ("watching", "completed", "on_hold", "dropped", "plan_to_watch")
EPOCH = datetime(2017, 6, 1, tzinfo=UTC)

# (anime_id, status, score, num_episodes_watched, is_rewatching, updated_at ISO) — tuples keep
# a 500k-entry Kaggle file cheap in memory.
Entry = tuple[int, str, int, int, bool, str]


def _iso(value: object, fallback: datetime) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="seconds")
    if isinstance(value, str) and value:
        return value
    return fallback.isoformat(timespec="seconds")


def picture(anime_id: int) -> dict[str, str]:
    """MAL's ``main_picture`` for an anime, pointing at its CDN."""
    return {
        "medium": f"https://cdn.myanimelist.net/images/anime/{anime_id}.jpg",
        "large": f"https://cdn.myanimelist.net/images/anime/{anime_id}l.jpg",
    }


class MalData:
    """The users, lists and anime of the fake (a base of ``FakeMal``)."""

    def __init__(
        self,
        lists: Mapping[str, Iterable[Any]] | None = None,
        anime: Mapping[int, Mapping[str, Any]] | Iterable[Mapping[str, Any]] | None = None,
        *,
        private: Iterable[str] = (),
    ) -> None:
        self._lists: dict[str, list[Entry]] = {}
        self._names: dict[str, str] = {}
        self._private: set[str] = set()
        self.anime: dict[int, dict[str, Any]] = {}
        if isinstance(anime, Mapping):
            for anime_id, fields in anime.items():
                self.add_anime(int(anime_id), **dict(fields))
        elif anime is not None:
            for fields in anime:
                fields = dict(fields)
                self.add_anime(int(fields.pop("id", fields.pop("anime_id", 0))), **fields)
        for name, entries in (lists or {}).items():
            self.add_user(name, entries)
        for name in private:
            self.set_private(name)

    def add_user(self, name: str, entries: Iterable[Any] = (), *, private: bool = False) -> None:
        """Create or replace ``name``'s list (see the module docstring for entry forms)."""
        key = name.lower()
        self._names[key] = name
        self._lists[key] = [self._entry(item, i) for i, item in enumerate(entries)]
        self.set_private(name, private)

    def _entry(self, item: Any, index: int) -> Entry:
        fallback = EPOCH - timedelta(hours=index)
        if isinstance(item, tuple):
            anime_id, score, *rest = item
            status = rest[0] if rest else "completed"
            return (int(anime_id), status, int(score), 0, False, _iso(None, fallback))

        def get(key: str, default: Any = None) -> Any:
            if isinstance(item, Mapping):
                return item.get(key, default)
            return getattr(item, key, default)

        status = get("status") or "completed"
        return (
            int(get("anime_id")),
            str(status),
            int(get("score", 0) or 0),
            int(get("num_episodes_watched", 0) or 0),
            bool(get("is_rewatching", False)),
            _iso(get("updated_at"), fallback),
        )

    def remove_user(self, name: str) -> None:
        """The user no longer exists (404)."""
        self._lists.pop(name.lower(), None)
        self._private.discard(name.lower())

    def set_private(self, name: str, private: bool = True) -> None:
        """Make ``name``'s list private (403) or public again."""
        if private:
            self._private.add(name.lower())
        else:
            self._private.discard(name.lower())

    @property
    def usernames(self) -> list[str]:
        return [self._names[key] for key in self._lists]

    def add_anime(self, anime_id: int, title: str | None = None, **fields: Any) -> None:
        """Add or replace one anime; missing fields get plausible defaults."""
        record: dict[str, Any] = {
            "id": anime_id,
            "title": title or f"Anime {anime_id}",
            "main_picture": picture(anime_id),
            "alternative_titles": {"synonyms": [], "en": "", "ja": ""},
            "media_type": "tv",
            "genres": [],
            "mean": None,
            "num_list_users": 0,
            "nsfw": "white",
            "start_season": None,
            "num_episodes": 0,
            "studios": [],
            "status": "finished_airing",
            "num_scoring_users": 0,
            "popularity": None,
            "related_anime": [],
        }
        for key, value in fields.items():
            if key in ("genres", "studios"):
                value = [
                    g if isinstance(g, Mapping) else {"id": i + 1, "name": str(g)}
                    for i, g in enumerate(value)
                ]
            elif key == "related_anime" and isinstance(value, Mapping):
                # {other id: relation type}, the way tests write it
                value = [
                    {
                        "node": {"id": int(other), "title": self._title(int(other))},
                        "relation_type": str(kind),
                        "relation_type_formatted": str(kind).replace("_", " ").title(),
                    }
                    for other, kind in value.items()
                ]
            record[key] = value
        self.anime[anime_id] = record

    def _nsfw(self, anime_id: int) -> str:
        record = self.anime.get(anime_id)
        return str(record.get("nsfw", "white")) if record else "white"

    def _title(self, anime_id: int) -> str:
        record = self.anime.get(anime_id)
        return str(record["title"]) if record else f"Anime {anime_id}"
