"""The database seam: one write transaction at a time through `run(work)`, read-only snapshots through
`read(work)`; SQLite now, PostgreSQL behind the same face."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Protocol, TypeVar

from desk.store.dialect import ddl
from desk.store.schema import MIGRATIONS

T = TypeVar("T")
Row = dict[str, Any]


class DatabaseUnavailable(Exception):
    """The database cannot be reached or refused the connection (down, restarting, network gone, pool exhausted):
    the caller answers "try again later" (HTTP 503) and nothing was changed."""


class Cx(Protocol):
    """A connection inside one transaction. SQL uses `?` placeholders in every dialect; `dialect` ("sqlite" or
    "postgresql") is for the few statements that must differ (row locks, upserts of counters)."""

    dialect: str

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run a statement; returns the number of rows changed."""
        ...

    def one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        """The first row of a query, or None."""
        ...

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """Every row of a query."""
        ...


class Database(Protocol):
    """Runs units of work, each in its own transaction."""

    async def run(self, work: Callable[[Cx], T]) -> T:
        """Run `work` in one transaction: committed when it returns, rolled back when it raises."""
        ...

    async def read(self, work: Callable[[Cx], T]) -> T:
        """Run `work` in a read-only transaction (PostgreSQL: BEGIN READ ONLY): it never takes the write lock nor
        waits for a writer, and any write in it fails. For what anyone can trigger without a token."""
        ...

    async def ping(self) -> None:
        """Raise unless the database answers (a read: takes no write lock)."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...


class _SqliteCx:
    dialect = "sqlite"

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        return self._connection.execute(sql, tuple(params)).rowcount

    def one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        row = self._connection.execute(sql, tuple(params)).fetchone()
        return dict(row) if row is not None else None

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return [dict(row) for row in self._connection.execute(sql, tuple(params)).fetchall()]


class SqliteDatabase:
    """SQLite in WAL mode, written from one worker thread so the event loop never waits on disk. Reads have a
    connection and thread of their own: in WAL a reader sees the last commit without waiting for the writer, so a
    writer stuck on a lock (another process, a slow disk) does not hold them up."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite")
        self._connection: sqlite3.Connection | None = None
        # ":memory:" is one database per connection: there reads share the writer's connection and thread.
        self._separate_reader = path != ":memory:"
        self._read_executor = (
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-read") if self._separate_reader else None
        )
        self._reader: sqlite3.Connection | None = None

    async def open(self) -> None:
        """Open the file (creating its folder), switch to WAL and apply pending migrations."""
        await self._call(self._open)

    def _open(self) -> None:
        if self._separate_reader:
            Path(self._path).parent.mkdir(parents=True, exist_ok=True)
        connection = _connect(self._path, timeout=10)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        connection.execute("PRAGMA foreign_keys=ON")
        self._connection = connection
        self._transaction(migrate)
        if self._separate_reader:
            reader = _connect(self._path, timeout=5)
            reader.execute("PRAGMA query_only=ON")  # read() means it: a write there fails
            self._reader = reader

    async def run(self, work: Callable[[Cx], T]) -> T:
        with _unavailable_when_away():
            return await self._call(self._transaction, work)

    async def read(self, work: Callable[[Cx], T]) -> T:
        with _unavailable_when_away():
            if self._read_executor is None:
                return await self._call(self._shared_read, work)
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._read_executor, self._read, self._reader, work)

    async def ping(self) -> None:
        await self.read(lambda cx: cx.one("SELECT 1 AS ok"))

    async def close(self) -> None:
        if self._reader is not None and self._read_executor is not None:
            await asyncio.get_running_loop().run_in_executor(self._read_executor, self._reader.close)
            self._reader = None
        if self._read_executor is not None:
            self._read_executor.shutdown(wait=True)
        if self._connection is not None:
            await self._call(self._connection.close)
            self._connection = None
        self._executor.shutdown(wait=True)

    def _read(self, connection: sqlite3.Connection | None, work: Callable[[Cx], T]) -> T:
        if connection is None:
            raise RuntimeError("database is not open")
        connection.execute("BEGIN")  # deferred: a read snapshot, never the write lock
        try:
            return work(_SqliteCx(connection))
        finally:
            _roll_back(connection)  # nothing to keep

    def _shared_read(self, work: Callable[[Cx], T]) -> T:
        """read() on the writer's connection (":memory:"), made read-only for the while."""
        if self._connection is None:
            raise RuntimeError("database is not open")
        self._connection.execute("PRAGMA query_only=ON")
        try:
            return self._read(self._connection, work)
        finally:
            self._connection.execute("PRAGMA query_only=OFF")

    def _transaction(self, work: Callable[[Cx], T]) -> T:
        if self._connection is None:
            raise RuntimeError("database is not open")
        connection = self._connection
        connection.execute("BEGIN IMMEDIATE")
        try:
            result = work(_SqliteCx(connection))
            # COMMIT can fail too (a deferred constraint, SQLITE_BUSY, a disk error): the transaction must end
            # here either way, or every later BEGIN on this connection fails.
            connection.execute("COMMIT")
        except BaseException:
            _roll_back(connection)
            raise
        return result

    async def _call(self, function: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, function, *args)


# SQLite's words for a database that is away or held, rather than a statement that is wrong: the file cannot be
# opened or read, or another process kept the write lock past the busy timeout.
_AWAY = ("database is locked", "unable to open database file", "disk i/o error", "database is busy")


@contextlib.contextmanager
def _unavailable_when_away() -> Iterator[None]:
    try:
        yield
    except sqlite3.OperationalError as error:
        if str(error).lower() in _AWAY:
            raise DatabaseUnavailable(f"SQLite: {error}") from error
        raise


def _connect(path: str, timeout: float) -> sqlite3.Connection:
    connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=timeout)
    connection.row_factory = sqlite3.Row
    # SQLite's own lower() folds ASCII only; searches must match "Почта" with "почта" too.
    connection.create_function("lower", 1, _lower, deterministic=True)
    return connection


def _roll_back(connection: sqlite3.Connection) -> None:
    """End the open transaction, if SQLite has not already (it rolls back by itself on some errors, and then a
    ROLLBACK would raise over the error that matters)."""
    if connection.in_transaction:
        connection.execute("ROLLBACK")


def _lower(value: str | bytes | int | float | None) -> str | bytes | int | float | None:
    return value.lower() if isinstance(value, str) else value


def migrate(cx: Cx) -> int:
    """Apply the migrations not yet applied; returns the schema version reached."""
    cx.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
    row = cx.one("SELECT MAX(version) AS version FROM schema_version")
    current = (row or {}).get("version") or 0
    for version, statements in enumerate(MIGRATIONS, start=1):
        if version <= current:
            continue
        for statement in statements:
            sql = ddl(statement, cx.dialect) if isinstance(statement, str) else statement.get(cx.dialect)
            if sql:
                cx.execute(sql)
        cx.execute("INSERT INTO schema_version (version) VALUES (?)", (version,))
        current = version
    return current


async def open_database(url: str, pool_size: int = 10) -> Database:
    """Open the database named by DATABASE_URL: `sqlite:///path` or `postgresql://...` (`postgres://` too)."""
    if url.startswith("sqlite:///"):
        database = SqliteDatabase(url.removeprefix("sqlite:///"))
        await database.open()
        return database
    if url.startswith(("postgresql://", "postgres://")):
        from desk.store.postgres import PostgresDatabase  # psycopg is loaded only by those who use it

        postgres = PostgresDatabase(url, pool_size=pool_size)
        try:
            await postgres.open()
        except BaseException:
            await postgres.close()
            raise
        return postgres
    raise ValueError("unsupported DATABASE_URL: use sqlite:///<path> or postgresql://<user>@<host>/<database>")
