"""Local fakes of the outside services (Discord REST + gateway, MyAnimeList API v2).

They speak the real protocols over loopback, for the test suite, ``make demo`` and the load test.
Development-only: not part of the installed bot.
"""
