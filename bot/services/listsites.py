"""The three list sites a member can link: MyAnimeList, AniList, Kitsu, behind one interface.

:class:`ListSites` fetches a list (and its cheap fingerprint) from the right client and gives
it back in storage terms: entries with a MAL id (:class:`StoredEntry`) and, from AniList and
Kitsu, the entries whose title has no MAL id (kept apart, counted as unknown). Every client
error becomes :class:`SiteFailed` with the client's one-sentence ``user_message``; ``outage``
says the site itself is failing (a background round stops asking it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Protocol

from bot.services.errors import SyncFailed

if TYPE_CHECKING:
    from common.mal import MalClient, MalListEntry
    from common.sites import SiteEntry, SiteList

FETCHED_SITES = ("mal", "anilist", "kitsu")
"""Sources that are fetched and refreshed (``"import"`` is an uploaded file)."""
SITE_NAMES = {"mal": "MyAnimeList", "anilist": "AniList", "kitsu": "Kitsu", "import": "a file"}
PROFILE_URLS = {
    "mal": "https://myanimelist.net/animelist/{name}",
    "anilist": "https://anilist.co/user/{name}/animelist",
    "kitsu": "https://kitsu.app/users/{id}/library",
}


def profile_url(source: str, name: str, user_id: str | None) -> str | None:
    """The list's page on its site; ``None`` for an imported file."""
    template = PROFILE_URLS.get(source)
    if template is None:
        return None
    return template.format(name=name, id=user_id or name)


@dataclass(frozen=True, slots=True)
class StoredEntry:
    """One list entry as it is stored (from a site or from an imported file), by MAL id."""

    anime_id: int
    status: str
    score: int
    episodes: int = 0
    rewatching: bool = False
    updated_at: datetime | None = None
    title: str | None = None

    @classmethod
    def from_mal(cls, entry: MalListEntry) -> StoredEntry:
        return cls(
            anime_id=entry.anime_id,
            status=entry.status[:16] or "completed",
            score=min(max(entry.score, 0), 10),
            episodes=max(entry.num_episodes_watched, 0),
            rewatching=entry.is_rewatching,
            updated_at=entry.updated_at.astimezone(UTC) if entry.updated_at else None,
            title=entry.title,
        )

    @classmethod
    def from_site(cls, entry: SiteEntry, anime_id: int) -> StoredEntry:
        return cls(
            anime_id=anime_id,
            status=entry.status,
            score=entry.score,
            episodes=entry.episodes,
            rewatching=entry.rewatching,
            updated_at=entry.updated_at.astimezone(UTC) if entry.updated_at else None,
            title=entry.title,
        )


@dataclass(frozen=True, slots=True)
class Fetched:
    """A whole list from one site, ready to store."""

    source: str
    username: str  # as the site spells it
    user_id: str | None
    entries: list[StoredEntry]
    unmapped: list[SiteEntry] = field(default_factory=list)
    fingerprint: str | None = None


class SiteFailed(SyncFailed):
    """Fetching from a site failed; ``outage`` when the site itself is failing."""

    def __init__(self, user_message: str, detail: str = "", *, outage: bool = False) -> None:
        super().__init__(user_message, detail)
        self.outage = outage


class SiteClient(Protocol):
    """What :class:`common.anilist.AniListClient` and :class:`common.kitsu.KitsuClient` share."""

    async def get_list(self, username: str, *, user_id: str | None = None) -> SiteList: ...

    async def list_fingerprint(self, username: str, *, user_id: str | None = None) -> str: ...


class ListSites:
    """The configured clients (any may be ``None``: that site is then not available)."""

    def __init__(
        self,
        mal: MalClient | None,
        anilist: SiteClient | None = None,
        kitsu: SiteClient | None = None,
    ) -> None:
        self.mal = mal
        self._sites: dict[str, SiteClient | None] = {"anilist": anilist, "kitsu": kitsu}

    def available(self, source: str) -> bool:
        if source == "mal":
            return self.mal is not None
        return self._sites.get(source) is not None

    def _client(self, source: str) -> SiteClient:
        client = self._sites.get(source)
        if client is None:
            raise SyncFailed(f"The bot is not connected to {SITE_NAMES.get(source, source)}.")
        return client

    def _mal(self) -> MalClient:
        if self.mal is None:
            raise SyncFailed("The bot is not connected to MyAnimeList.")
        return self.mal

    async def fingerprint(self, source: str, username: str, user_id: str | None) -> str | None:
        """A cheap string that changes when the list does (one or two requests)."""
        from common.mal import MalError
        from common.sites import SiteError

        try:
            if source == "mal":
                return await self._mal().list_fingerprint(username)
            return await self._client(source).list_fingerprint(username, user_id=user_id)
        except (MalError, SiteError) as exc:
            raise _failed(exc) from exc

    async def fetch(
        self,
        source: str,
        username: str,
        user_id: str | None = None,
        *,
        link: bool = False,
        fingerprint: str | None = None,
    ) -> Fetched:
        """The whole list with its fingerprint (asked first, unless the caller just did and
        passes it); ``link``: the name was just typed by a member (validated, and a private
        MAL list gets the ``/import`` hint)."""
        from common.mal import ListPrivate, MalError, validate_username
        from common.sites import SiteError

        try:
            if source == "mal":
                mal = self._mal()
                name = validate_username(username) if link else username
                stamp = fingerprint or await mal.list_fingerprint(name)
                entries = await mal.get_animelist(name)
                mapped = [StoredEntry.from_mal(e) for e in entries]
                return Fetched("mal", name, None, mapped, fingerprint=stamp)
            client = self._client(source)
            # The fingerprint first: a change made while the list is read shows next time.
            stamp = fingerprint or await client.list_fingerprint(username, user_id=user_id)
            site_list = await client.get_list(username, user_id=user_id)
        except ListPrivate as exc:
            hint = " Or upload your list export with `/import`."
            raise SiteFailed(exc.user_message + hint, str(exc)) from exc
        except (MalError, SiteError) as exc:
            raise _failed(exc) from exc
        mapped = [
            StoredEntry.from_site(e, e.mal_id) for e in site_list.entries if e.mal_id is not None
        ]
        return Fetched(
            source, site_list.username, site_list.user_id, mapped, site_list.unmapped, stamp
        )


def _failed(exc: Exception) -> SiteFailed:
    from common.mal import MalThrottled, MalUnavailable, RateLimited
    from common.sites import SiteError

    outage = isinstance(exc, MalThrottled | MalUnavailable | RateLimited) or (
        isinstance(exc, SiteError) and exc.outage
    )
    message = getattr(exc, "user_message", SyncFailed.user_message)
    return SiteFailed(message, str(exc), outage=outage)
