"""One shared database per backend and session, emptied before each test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.shared_state.dbs import POSTGRES_URL, empty, private_postgres, sqlite_url


def _backends() -> list[object]:
    postgres = pytest.param(
        "postgresql",
        marks=[
            pytest.mark.postgres,
            pytest.mark.skipif(POSTGRES_URL is None, reason="ANIREC_TEST_POSTGRES_URL is not set"),
        ],
    )
    return ["sqlite", postgres]


@pytest.fixture(scope="session", params=_backends())
def shared_db(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    if request.param == "sqlite":
        yield sqlite_url(tmp_path_factory.mktemp("shared"))
        return
    with private_postgres() as url:
        yield url


@pytest.fixture(scope="session")
def postgres_db() -> Iterator[str]:
    if POSTGRES_URL is None:
        pytest.skip("ANIREC_TEST_POSTGRES_URL is not set")
    with private_postgres() as url:
        yield url


@pytest.fixture
async def db_url(shared_db: str) -> str:
    await empty(shared_db)
    return shared_db


@pytest.fixture
async def pg_url(postgres_db: str) -> str:
    await empty(postgres_db)
    return postgres_db
