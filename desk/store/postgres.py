"""PostgreSQL behind the store's seam (psycopg 3 and its pool), for several instances on one database.

Every `run(work)` is a SERIALIZABLE transaction: the store's units of work were written for SQLite, where writers
take turns, and read-then-write checks (leases, claims, versions) stay right only if PostgreSQL gives the same
guarantee. It does, by failing one of two conflicting transactions with a serialization error; that unit of work
is then run again from the start (bounded), which is why `work` must touch nothing but the database.
https://www.postgresql.org/docs/15/transaction-iso.html#XACT-SERIALIZABLE
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar, cast

import psycopg
from psycopg import errors
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool, PoolTimeout

from desk.store.database import Cx, DatabaseUnavailable, Row, migrate
from desk.store.dialect import postgres_placeholders

T = TypeVar("T")
logger = logging.getLogger(__name__)

# Two instances starting together must not both migrate: the first holds this lock, the second then finds the
# schema current. (Any constant; it only has to be the desk's own.)
MIGRATION_LOCK = 0x5044_4553_4B  # "PDESK"
# Serialization failures and deadlocks are retried this many times; a unit of work still losing after that is
# contended beyond reason, and the caller gets the error (a turn answers 503, Teams redelivers).
ATTEMPTS = 30
# How long a unit of work waits for a connection before the database counts as unreachable. Teams waits 15 s for
# a turn's answer; a 503 well before that lets it redeliver.
CONNECT_TIMEOUT = 5.0


class _PostgresCx:
    dialect = "postgresql"

    def __init__(self, connection: psycopg.Connection[Row]) -> None:
        self._connection = connection

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        return self._connection.execute(postgres_placeholders(sql), _adapt(params)).rowcount

    def one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        return self._connection.execute(postgres_placeholders(sql), _adapt(params)).fetchone()

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return self._connection.execute(postgres_placeholders(sql), _adapt(params)).fetchall()


def _adapt(params: Sequence[Any]) -> tuple[Any, ...]:
    # The schema keeps flags in INTEGER columns (SQLite has no boolean type); PostgreSQL will not put a boolean
    # into an integer column.
    return tuple(int(value) if isinstance(value, bool) else value for value in params)


class PostgresDatabase:
    """A pool of `pool_size` connections, each unit of work on a thread of its own so the event loop never waits
    on the network."""

    def __init__(self, url: str, pool_size: int = 10, connect_timeout: float = CONNECT_TIMEOUT) -> None:
        self._timeout = connect_timeout
        self._pool = ConnectionPool(
            url,
            min_size=1,
            max_size=pool_size,
            open=False,
            kwargs={"autocommit": True, "row_factory": dict_row, "connect_timeout": max(1, int(connect_timeout))},
            # A connection the server dropped (restart, failover) is found and replaced before it is handed out.
            check=ConnectionPool.check_connection,
            timeout=connect_timeout,
            # A background reconnection gives up soon (its backoff would otherwise grow to minutes); the next unit of
            # work that needs a connection starts a new one, so service resumes as soon as the database is back.
            reconnect_timeout=10.0,
            name="desk",
        )
        self._executor = ThreadPoolExecutor(max_workers=pool_size, thread_name_prefix="postgres")

    async def open(self) -> None:
        """Connect and apply pending migrations (one instance at a time)."""
        await self._call(self._open)

    def _open(self) -> None:
        try:
            self._pool.open(wait=True, timeout=self._timeout)
        except PoolTimeout as error:
            raise DatabaseUnavailable(f"PostgreSQL did not accept a connection within {self._timeout:g} s") from error
        self._unit(_migrate_once, "BEGIN ISOLATION LEVEL READ COMMITTED", attempts=1)

    async def run(self, work: Callable[[Cx], T]) -> T:
        return await self._call(self._unit, work, "BEGIN ISOLATION LEVEL SERIALIZABLE", ATTEMPTS)

    async def read(self, work: Callable[[Cx], T]) -> T:
        return await self._call(self._unit, work, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", ATTEMPTS)

    async def ping(self) -> None:
        await self.read(lambda cx: cx.one("SELECT 1 AS ok"))

    async def close(self) -> None:
        await self._call(self._pool.close)
        self._executor.shutdown(wait=True)

    def _unit(self, work: Callable[[Cx], T], begin: str, attempts: int) -> T:
        for attempt in range(1, attempts + 1):
            try:
                return self._once(work, begin)
            except (errors.SerializationFailure, errors.DeadlockDetected) as error:
                if attempt == attempts:
                    # Contended beyond reason: "try again later" (a turn answers 503 and Teams redelivers it).
                    raise DatabaseUnavailable(f"still conflicting after {attempts} attempts") from error
                # Jittered and growing (to 0.25 s), so the losers of a conflict do not collide again at once.
                time.sleep(random.uniform(0.5, 1.0) * min(0.25, 0.002 * 2**attempt))
        raise AssertionError("unreachable")

    def _once(self, work: Callable[[Cx], T], begin: str) -> T:
        try:
            with self._pool.connection() as raw:
                connection = cast("psycopg.Connection[Row]", raw)  # the pool's row_factory is dict_row
                connection.execute(begin)
                try:
                    result = work(_PostgresCx(connection))
                    connection.execute("COMMIT")
                except BaseException:
                    # A lost connection cannot roll back (the server already has); the error that matters is the
                    # one being raised, not the failed ROLLBACK's.
                    with contextlib.suppress(psycopg.Error):
                        connection.execute("ROLLBACK")
                    raise
                return result
        except PoolTimeout as error:
            raise DatabaseUnavailable("no PostgreSQL connection became available") from error
        except psycopg.OperationalError as error:
            if _unavailable(error):
                raise DatabaseUnavailable(_reason(error)) from error
            raise

    async def _call(self, function: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, function, *args)


def _migrate_once(cx: Cx) -> int:
    cx.one("SELECT pg_advisory_xact_lock(?) AS locked", (MIGRATION_LOCK,))
    return migrate(cx)


# SQLSTATEs of a database that is away rather than of a statement that failed: connection exceptions (class 08),
# shutting down or starting up (57P01-57P03), out of connections (53300).
# https://www.postgresql.org/docs/15/errcodes-appendix.html
_AWAY = ("57P01", "57P02", "57P03", "53300")


def _unavailable(error: psycopg.OperationalError) -> bool:
    sqlstate = error.sqlstate
    if sqlstate is None:
        return True  # raised by the client itself: connection refused, reset or closed
    return sqlstate.startswith("08") or sqlstate in _AWAY


def _reason(error: psycopg.OperationalError) -> str:
    """The error's first line without connection details (never the DSN or its password)."""
    sqlstate = getattr(error, "sqlstate", None)
    if sqlstate:
        return f"PostgreSQL refused the work (SQLSTATE {sqlstate})"
    return "PostgreSQL cannot be reached"
