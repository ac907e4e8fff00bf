"""Fixtures for every test: the garbage collector as the test found it.

The bot freezes its long-lived objects and leaves full collections to quiet moments
(:mod:`bot.gcpauses`); inside the test process that would delay the collection of one test's
garbage, and so its ResourceWarnings (errors here), into another test."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _collector_as_found() -> Iterator[None]:
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)
