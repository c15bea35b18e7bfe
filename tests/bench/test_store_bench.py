"""bench/store.py's core at a tiny size: on a few hundred tickets, the new reads agree with main's, every created
ticket is there once and every queued message is claimed once (what the benchmark checks; not its times)."""

from __future__ import annotations

from pathlib import Path

from bench.common import Table
from bench.store import postgres_engine, run_engine, sqlite_engine
from bench.store_reads import Checks, Size
from tests.support.engines import postgres_only, postgres_server_url

TINY = Size(tickets=300, open_share=0.3, repeat=2, repeat_old=1, inserts=5, messages=20)


async def test_the_store_benchmark_checks_pass_on_sqlite(tmp_path: Path) -> None:
    checks = Checks()
    claims = Table("claims", ("messages", "claims_per_s"))
    tables = await run_engine(sqlite_engine(tmp_path), TINY, checks, claims)
    assert checks.problems == []
    assert [row for t in tables for row in t.rows][:2] == ["old", "new"]
    assert claims.rows["SQLite"]["messages"] == 20
    assert any("tickets created" in t.title for t in tables)


@postgres_only
async def test_the_store_benchmark_checks_pass_on_postgresql() -> None:
    server = postgres_server_url()
    assert server is not None
    engine = postgres_engine(server)
    checks = Checks()
    try:
        await run_engine(engine, TINY, checks, Table("claims", ("messages", "claims_per_s")))
    finally:
        engine.cleanup()
    assert checks.problems == []


async def test_a_wrong_result_is_reported(tmp_path: Path, monkeypatch) -> None:
    """A queue that lost its order is caught (the benchmark then exits 1)."""
    from desk.store import queue as queue_sql

    original = queue_sql.page
    monkeypatch.setattr(queue_sql, "page", lambda cx, only, after, limit: original(cx, only, after, limit)[::-1])
    checks = Checks()
    await run_engine(sqlite_engine(tmp_path), TINY, checks, Table("claims", ("messages", "claims_per_s")))
    assert any("first page differs" in problem for problem in checks.problems)
