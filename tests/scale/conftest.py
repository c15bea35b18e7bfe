"""The multi-instance tests start their own PostgreSQL (one server for the folder's session; the test that stops the
database starts a private one), so they run in the SQLite pass of ./scripts/test without DESK_TEST_POSTGRES."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.scale.teams import StampedConnector
from tests.support.activities import with_demo_roster
from tests.support.pg_server import PostgresServer, binaries


def needs_postgres() -> None:
    if binaries() is None:
        pytest.skip("PostgreSQL is not installed (Debian package 'postgresql'; scripts/test installs it)")


def _served() -> Iterator[PostgresServer]:
    needs_postgres()
    server = PostgresServer().start()
    try:
        yield server
    finally:
        server.remove()


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """One throw-away PostgreSQL server for every test of the folder (each test takes a fresh schema of it)."""
    yield from _served()


@pytest.fixture
def private_postgres() -> Iterator[PostgresServer]:
    """A PostgreSQL server of the test's own, which it may stop and start."""
    yield from _served()


@pytest.fixture
def connector() -> Iterator[StampedConnector]:
    """The local Bot Connector (the demo users in its roster), noting when each request arrived."""
    local = with_demo_roster(StampedConnector().start())
    try:
        yield local
    finally:
        local.stop()
