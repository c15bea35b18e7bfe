"""Which database engine the tests run on: SQLite in the test's folder, or — when ./scripts/test's second pass set
DESK_TEST_POSTGRES — a fresh schema of its own on the throw-away PostgreSQL server, so every test starts empty."""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest

from desk.store.database import Database, open_database
from tests.support.pg_server import URL_VARIABLE


def postgres_server_url() -> str | None:
    """The test PostgreSQL server's URL, when this run is on PostgreSQL."""
    return os.environ.get(URL_VARIABLE) or None


def engine() -> str:
    """ "postgresql" or "sqlite": the engine this run tests."""
    return "postgresql" if postgres_server_url() else "sqlite"


class Schemas:
    """Schemas created for tests, dropped when the test ends (the server outlives the whole run)."""

    def __init__(self) -> None:
        self.created: list[str] = []
        self.by_folder: dict[Path, str] = {}  # a test restarting the desk on its folder finds its database again

    def drop_all(self) -> None:
        server = postgres_server_url()
        if not server or not self.created:
            return
        import psycopg

        with psycopg.connect(server, autocommit=True) as connection:
            for schema in self.created:
                connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        self.created.clear()
        self.by_folder.clear()


SCHEMAS = Schemas()


def fresh_database_url(folder: Path) -> str:
    """A DATABASE_URL naming the database of a test's `folder`: empty at first, the same one when asked again."""
    server = postgres_server_url()
    if server is None:
        return f"sqlite:///{folder}/desk.db"
    key = folder.resolve()
    if key not in SCHEMAS.by_folder:
        SCHEMAS.by_folder[key] = new_schema()
    return schema_url(server, SCHEMAS.by_folder[key])


def new_schema() -> str:
    """Create an empty schema on the test server; returns its name."""
    import psycopg

    server = postgres_server_url()
    assert server is not None
    schema = f"t_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(server, autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{schema}"')
    SCHEMAS.created.append(schema)
    return schema


def schema_url(server: str, schema: str) -> str:
    """`server`'s URL with every connection's search_path set to `schema` (libpq's `options`)."""
    separator = "&" if "?" in server else "?"
    return f"{server}{separator}options={quote(f'-csearch_path={schema}', safe='')}"


async def open_test_database(folder: Path) -> Database:
    """An opened, migrated, empty database of this run's engine (SQLite: a file under `folder`)."""
    return await open_database(fresh_database_url(folder / "store"))


# What a write inside `Database.read` raises, per engine.
def read_only_errors() -> tuple[type[BaseException], ...]:
    import sqlite3

    if engine() == "sqlite":
        return (sqlite3.OperationalError,)
    import psycopg

    return (psycopg.errors.ReadOnlySqlTransaction,)


sqlite_only = pytest.mark.skipif(
    bool(os.environ.get(URL_VARIABLE)), reason="SQLite's own behaviour (files, WAL, its write lock)"
)
postgres_only = pytest.mark.skipif(
    not os.environ.get(URL_VARIABLE), reason="PostgreSQL's own behaviour, or several instances on one database"
)
