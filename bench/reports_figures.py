"""For `python -m bench.reports`: the desk's report checked figure by figure against the naive one, and the table
of one report's two ways (p50 and p99 in ms, baseline/desk)."""

from __future__ import annotations

from datetime import datetime

from bench import reports_baseline as naive
from bench.common import Table, median, percentile
from bench.store_reads import NOW, Checks
from desk.report_service import Export, Reports, Scope
from desk.reports import TOP, Period
from desk.store.database import Database

BASELINE, DESK = "baseline (SELECT *, counted in Python)", "desk (one aggregate query per figure)"


def timed(title: str, baseline: list[float], desk: list[float], desk_name: str = DESK) -> Table:
    """The two ways of one read; ×baseline is baseline p50 / desk p50."""
    table = Table(title, ("runs", "p50_ms", "p99_ms"), baseline=BASELINE, ratio_of="p50_ms", higher_is_better=False)
    for name, spent in ((BASELINE, baseline), (desk_name, desk)):
        table.add(name, runs=len(spent), p50_ms=median(spent), p99_ms=percentile(spent, 0.99))
    return table


def export_of(period: Period, now: datetime) -> Export:
    """An export of `period` for every customer, as `report month csv` stores it."""
    return Export("bench", "bench", None, False, period.kind.value, period.start, period.end, None, now)


async def compare(what: str, reports: Reports, db: Database, period: Period, scope: Scope, checks: Checks) -> str:
    """Check the desk's report of `period` for `scope` against the baseline's figures; a line saying what it held."""
    report = await reports.report(period, scope, NOW)
    want = naive.figures(await naive.load(db, period, scope.tenant_id), period, NOW)
    checks.expect(report.days == want.days, f"{what}: tickets opened/done per day differ from the baseline's")
    checks.expect(report.sla == want.sla, f"{what}: SLA per severity {report.sla} differs from {want.sla}")
    checks.expect(report.csat.counts == want.csat, f"{what}: ratings {report.csat.counts} differ from {want.csat}")
    checks.expect(report.backlog == want.backlog, f"{what}: backlog {report.backlog} differs from {want.backlog}")
    for listed, counts, name in (
        (report.customers, want.customers, "customers"),
        (report.products, want.products, "products"),
    ):
        checks.expect(naive.top_agrees(listed, counts, TOP), f"{what}: top {name} differ from the baseline's")
    response = sum(r.response_met + r.response_missed for r in report.sla)
    missed = sum(r.resolution_missed for r in report.sla)
    return (
        f"{report.opened:,} opened, {report.closed:,} done; {response:,} first-response targets due,"
        f" {missed:,} resolutions missed; {report.csat.total:,} ratings; {sum(report.backlog.values()):,} open"
    )
