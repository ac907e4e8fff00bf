"""What can go wrong fetching a list from AniList or Kitsu, as one small typed hierarchy.

Every error carries ``user_message``: one sentence fit to show a Discord member (no URLs, no
stack traces); ``str(error)`` is the technical detail for logs. ``outage`` is true when the site
itself is failing (rate limit, 5xx, timeouts): a background round stops asking that site.

::

    SiteError
    ├── SiteInvalidUsername   the name cannot be a user name there; no request was made
    ├── SiteUserNotFound      no such user
    ├── SiteListPrivate       the profile or list is private
    ├── SiteRateLimited       429 until the retries ran out (outage)
    ├── SiteUnavailable       5xx, timeouts, connection errors after the retries (outage)
    └── SiteInvalidResponse   an answer that is not the JSON the site documents
"""

from __future__ import annotations


class SiteError(Exception):
    """Base class; ``user_message`` is safe to show to a Discord member."""

    outage = False

    def __init__(self, site: str, detail: str = "", *, user_message: str | None = None) -> None:
        self.site = site
        self.user_message = user_message or (
            f"Something went wrong talking to {site}. Please try again later."
        )
        super().__init__(detail or self.user_message)


def _shown(name: str) -> str:
    return name if len(name) <= 40 else name[:37] + "..."


class SiteInvalidUsername(SiteError):
    def __init__(self, site: str, username: str, rule: str) -> None:
        self.username = username
        super().__init__(
            site,
            f"invalid {site} user name {_shown(username)!r}",
            user_message=f"`{_shown(username)}` is not a valid {site} user name: {rule}.",
        )


class SiteUserNotFound(SiteError):
    def __init__(self, site: str, username: str) -> None:
        self.username = username
        super().__init__(
            site,
            f"{site} user {_shown(username)!r} not found",
            user_message=(
                f"There is no {site} user called `{_shown(username)}`. Check the spelling."
            ),
        )


class SiteListPrivate(SiteError):
    def __init__(self, site: str, username: str, how: str) -> None:
        self.username = username
        super().__init__(
            site,
            f"{site} list of {_shown(username)!r} is private",
            user_message=(
                f"The {site} profile of `{_shown(username)}` is private. {how} and try again."
            ),
        )


class SiteRateLimited(SiteError):
    outage = True

    def __init__(self, site: str, detail: str = "", *, retry_after: float | None = None) -> None:
        super().__init__(
            site,
            detail,
            user_message=(
                f"{site} is rate-limiting the bot right now. Please try again in a minute."
            ),
        )
        self.retry_after = retry_after


class SiteUnavailable(SiteError):
    outage = True

    def __init__(self, site: str, detail: str = "") -> None:
        super().__init__(
            site,
            detail,
            user_message=f"{site} is not responding right now. Please try again later.",
        )


class SiteInvalidResponse(SiteError):
    def __init__(self, site: str, detail: str = "") -> None:
        super().__init__(
            site,
            detail,
            user_message=f"{site} sent an answer the bot could not read. Please try again later.",
        )
