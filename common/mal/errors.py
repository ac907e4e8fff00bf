"""What can go wrong talking to MyAnimeList, as a small typed hierarchy.

Every error carries ``user_message``: one sentence fit to show a Discord member (no stack
traces, URLs or secrets). ``str(error)`` is the technical detail for logs.

::

    MalError
    ├── InvalidUsername      the name breaks MAL's rules; no request was made
    ├── UserNotFound         404 on a user's list
    ├── AnimeNotFound        404 on an anime
    ├── ListPrivate          403 while other requests succeed: the list is private
    ├── MalThrottled         403 that is MAL's throttling (other requests fail too)
    ├── RateLimited          429 and the retries ran out
    ├── MalUnavailable       5xx, timeouts, connection errors after the retries
    │   └── MalAuthError     401: the bot's client id is missing or wrong (operator problem)
    └── InvalidResponse      a response that is not the JSON MAL sends, after the retries
"""

from __future__ import annotations


class MalError(Exception):
    """Base class; ``user_message`` is safe to show to a Discord member."""

    user_message: str = "Something went wrong talking to MyAnimeList. Please try again later."

    def __init__(self, detail: str = "", *, user_message: str | None = None) -> None:
        super().__init__(detail or self.user_message)
        if user_message is not None:
            self.user_message = user_message


class InvalidUsername(MalError):
    """The username is not 2–16 characters of letters, digits, ``_`` and ``-``."""

    def __init__(self, username: str) -> None:
        self.username = username
        shown = username if len(username) <= 40 else username[:37] + "..."
        super().__init__(
            f"invalid MAL username {shown!r}",
            user_message=(
                f"`{shown}` is not a valid MyAnimeList username: it must be 2–16 characters "
                "of letters, digits, `_` or `-`."
            ),
        )


class UserNotFound(MalError):
    """MAL answered 404 for a user's list."""

    def __init__(self, username: str) -> None:
        self.username = username
        super().__init__(
            f"MAL user {username!r} not found (404)",
            user_message=f"There is no MyAnimeList user called `{username}`. Check the spelling.",
        )


class AnimeNotFound(MalError):
    """MAL answered 404 for an anime id."""

    def __init__(self, anime_id: int) -> None:
        self.anime_id = anime_id
        super().__init__(
            f"MAL anime {anime_id} not found (404)",
            user_message="MyAnimeList does not know that anime.",
        )


class ListPrivate(MalError):
    """MAL answered 403 for a user's list while other requests succeed: the list is private."""

    def __init__(self, username: str) -> None:
        self.username = username
        super().__init__(
            f"MAL list of {username!r} is not public (403)",
            user_message=(
                f"The anime list of `{username}` is private. Make it public in MyAnimeList "
                "(Account Settings → Privacy → Anime List: Public) and try again."
            ),
        )


class MalThrottled(MalError):
    """A 403 that is MAL throttling this bot (a known-good request was refused too)."""

    user_message = (
        "MyAnimeList is refusing requests from this bot for now (too many requests). "
        "Please try again in a few minutes."
    )


class RateLimited(MalError):
    """MAL kept answering 429 until the retries ran out."""

    user_message = "MyAnimeList is rate-limiting the bot right now. Please try again in a minute."

    def __init__(self, detail: str = "", *, retry_after: float | None = None) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class MalUnavailable(MalError):
    """MAL failed (5xx, timeouts, connection errors) until the retries ran out."""

    user_message = "MyAnimeList is not responding right now. Please try again later."


class MalAuthError(MalUnavailable):
    """MAL answered 401: the client id is missing or wrong. The operator must fix the settings."""

    user_message = (
        "The bot cannot talk to MyAnimeList because its API client id is not accepted. "
        "Please tell the bot's admin."
    )


class InvalidResponse(MalError):
    """MAL's answer was not the JSON it documents (malformed, truncated, without ``data``)."""

    user_message = "MyAnimeList sent an answer the bot could not read. Please try again later."


class HttpStatus(Exception):
    """A non-retryable HTTP status (4xx other than 429); mapped to a typed error by the caller."""

    def __init__(self, status: int, started: float) -> None:
        super().__init__(status)
        self.status = status
        self.started = started
