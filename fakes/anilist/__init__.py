"""A local fake of AniList's GraphQL API (see :mod:`fakes.anilist.server`)."""

from fakes.anilist.server import AniListUser, FakeAniList, rows_from_mal

__all__ = ["AniListUser", "FakeAniList", "rows_from_mal"]
