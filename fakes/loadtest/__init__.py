"""The load benchmark (not a test): N bot processes, one database, many members at once
(:mod:`fakes.loadtest.cli` says how to run it and what it prints)."""

from fakes.loadtest.cli import main

__all__ = ["main"]
