"""An aiohttp session that a client either borrows or opens itself (and then closes).

The MAL, Jikan, AniList and Kitsu clients all take an optional shared session: the bot passes
its own, the command-line tools let the client open one. Only a session the client opened is
closed by it; a closed one is reopened on the next request.
"""

from __future__ import annotations

from collections.abc import Callable

import aiohttp


class OwnedSession:
    """A shared session (never closed here) or one opened on first use (closed by :meth:`close`)."""

    def __init__(
        self,
        session: aiohttp.ClientSession | None = None,
        factory: Callable[[], aiohttp.ClientSession] = aiohttp.ClientSession,
    ) -> None:
        self._session = session
        self._owned = session is None
        self._factory = factory

    def get(self) -> aiohttp.ClientSession:
        """The session to use now, opening one if there is none (or it was closed)."""
        if self._session is None or self._session.closed:
            self._session = self._factory()
            self._owned = True
        return self._session

    async def close(self) -> None:
        """Close the session if it was opened here; a borrowed one is left open."""
        if self._owned and self._session is not None:
            await self._session.close()
            self._session = None
