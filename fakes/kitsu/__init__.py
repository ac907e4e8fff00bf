"""A local fake of Kitsu's JSON:API (see :mod:`fakes.kitsu.server`)."""

from fakes.kitsu.server import FakeKitsu, KitsuUser, rows_from_mal

__all__ = ["FakeKitsu", "KitsuUser", "rows_from_mal"]
