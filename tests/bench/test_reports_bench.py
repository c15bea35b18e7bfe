"""bench/reports.py's core at a tiny size: on a few hundred tickets, the desk's reports and CSV rows equal what the
naive baseline counts from every loaded ticket (what the benchmark checks; not its times)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.reports import run_engine
from bench.store import postgres_engine, sqlite_engine
from bench.store_reads import Checks
from tests.support.engines import postgres_only, postgres_server_url

TICKETS = 400


async def test_the_reports_benchmark_checks_pass_on_sqlite(tmp_path: Path) -> None:
    checks = Checks()
    tables = await run_engine(sqlite_engine(tmp_path), TICKETS, 1, 1, checks)
    assert checks.problems == []
    assert [t.title.split(", ", 1)[1].split(" (")[0] for t in tables] == [
        "month report, every customer",
        "month report, one customer",
        "quarter report, every customer",
        "month CSV rows",
    ]


@postgres_only
async def test_the_reports_benchmark_checks_pass_on_postgresql() -> None:
    server = postgres_server_url()
    assert server is not None
    engine = postgres_engine(server)
    checks = Checks()
    try:
        await run_engine(engine, TICKETS, 1, 1, checks)
    finally:
        engine.cleanup()
    assert checks.problems == []


async def test_a_wrong_figure_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A report that lost its ratings is caught (the benchmark then exits 1)."""
    from desk.store import reports as report_sql

    monkeypatch.setattr(report_sql, "csat", lambda cx, start, end, tenant_id: {})
    checks = Checks()
    await run_engine(sqlite_engine(tmp_path), TICKETS, 1, 1, checks)
    assert any("ratings" in problem for problem in checks.problems)
