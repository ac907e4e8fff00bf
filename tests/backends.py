"""The database backends a storage test runs on: SQLite always, PostgreSQL when
``ANIREC_TEST_POSTGRES_URL`` names one (``.ci/run`` sets it)."""

from __future__ import annotations

import os

import pytest

POSTGRES_URL = os.environ.get("ANIREC_TEST_POSTGRES_URL")


def backends() -> list[object]:
    """``pytest`` params: ``"sqlite"`` and ``"postgresql"`` (marked, skipped without a server)."""
    postgres = pytest.param(
        "postgresql",
        marks=[
            pytest.mark.postgres,
            pytest.mark.skipif(POSTGRES_URL is None, reason="ANIREC_TEST_POSTGRES_URL is not set"),
        ],
    )
    return ["sqlite", postgres]
