"""A local fake of AniList's GraphQL API (see :mod:`fakes.anilist.server`)."""

from fakes.anilist.server import AniListUser, FakeAniList

__all__ = ["AniListUser", "FakeAniList"]
