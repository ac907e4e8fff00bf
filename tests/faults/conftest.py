"""Fault tests share tests/shared_state's databases (a SQLite file, a private PostgreSQL
database), emptied before each test."""

from tests.shared_state.conftest import db_url, pg_url, postgres_db, shared_db

__all__ = ["db_url", "pg_url", "postgres_db", "shared_db"]
