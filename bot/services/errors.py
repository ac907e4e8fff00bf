"""Errors a member may see: each carries ``user_message``, one short sentence (no tracebacks)."""

from __future__ import annotations


class ServiceError(Exception):
    """Base class; ``user_message`` is safe to show to a Discord member."""

    user_message = "Something went wrong. Please try again later."

    def __init__(self, user_message: str | None = None, detail: str = "") -> None:
        if user_message is not None:
            self.user_message = user_message
        super().__init__(detail or self.user_message)


class NotLinked(ServiceError):
    """The member (or the member asked about) has no linked list."""

    def __init__(self, *, self_: bool = True) -> None:
        super().__init__(
            "You have not linked an anime list yet: use `/link` (MyAnimeList, AniList or "
            "Kitsu) or `/import`."
            if self_
            else "That member has not linked an anime list."
        )


class NotShared(ServiceError):
    user_message = "That member has not chosen to share their recommendations."


class NotInServer(ServiceError):
    user_message = "That member is not in this server."


class NoModel(ServiceError):
    user_message = (
        "No recommendation model yet: the bot's admin has to build one with `make model` "
        "(then restart the bot)."
    )


class TitleNotFound(ServiceError):
    def __init__(self, query: str) -> None:
        shown = query if len(query) <= 60 else query[:57] + "..."
        super().__init__(f"No anime matches `{shown}`. Pick one from the suggestions.")


class ImportRejected(ServiceError):
    """An uploaded list file was too large, of the wrong kind, or malformed."""


class SyncFailed(ServiceError):
    """Fetching a list from MAL failed; ``user_message`` comes from the MAL error."""


class EmptyProfile(ServiceError):
    user_message = (
        "Your list has no entries the model can use yet (it needs scored or watched titles)."
    )
