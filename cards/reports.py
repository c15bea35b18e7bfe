"""The report card: a period's figures as Teams charts (tickets per day, SLA attainment per severity, satisfaction,
backlog by age, top customers and products), each with a table fallback, and the escalations to Microsoft and the
deflections as facts. Customer and product names reach the card as chart labels or TextRuns, never as Markdown."""

from __future__ import annotations

from typing import Any

from cards import charts
from cards.charts import Element
from cards.format import Translate, clip, fact, maybe
from cards.render import CardTooLarge, render
from desk.reports import AGE_BUCKETS, Report, SlaRow

NAME_LIMIT = 60
# Days the per-day fallback table lists, most first: a quarter busy every day in a long-worded locale passes Teams'
# card size limit with 31 rows (the table is the card's largest part), so fewer are tried before giving up.
DAY_ROWS = (31, 14, 7)


def _dates(report: Report) -> str:
    days = report.period.days
    return f"{days[0].day.isoformat()} – {days[-1].day.isoformat()}"


def _label(t: Translate, prefix: str, value: str) -> str:
    return maybe(t, f"{prefix}.{value}") or value


def per_day(t: Translate, report: Report, rows: int = DAY_ROWS[0]) -> Element:
    """Opened and done per day; the fallback lists the last `rows` days that had any."""
    opened = [(d.day.strftime("%m-%d"), d.opened) for d in report.days]
    closed = [(d.day.strftime("%m-%d"), d.closed) for d in report.days]
    busy = [(d.day.isoformat(), str(d.opened), str(d.closed)) for d in report.days if d.opened or d.closed]
    fallback = charts.table([t("report.day"), t("report.opened"), t("report.closed")], busy[-rows:])
    series = [(t("report.opened"), opened), (t("report.closed"), closed)]
    return charts.line(t("report.per_day"), t("report.day"), t("report.tickets"), series, fallback)


def _sla_cell(t: Translate, met: int, missed: int) -> str:
    percent = SlaRow.percent(met, missed)
    return t("report.sla_none") if percent is None else t("report.sla_cell", met=met, due=met + missed, percent=percent)


def sla(t: Translate, report: Report) -> Element:
    """First-response and resolution attainment per severity, in percent."""
    rows = [r for r in report.sla if r.response_met + r.response_missed + r.resolution_met + r.resolution_missed]
    names = [(r, _label(t, "severity", r.severity)) for r in rows]
    fallback = charts.table(
        [t("report.severity"), t("report.first_response"), t("report.resolution")],
        [
            (name, _sla_cell(t, r.response_met, r.response_missed), _sla_cell(t, r.resolution_met, r.resolution_missed))
            for r, name in names
        ],
    )
    if not rows:
        return {"type": "TextBlock", "text": t("report.sla_nothing_due"), "wrap": True, "isSubtle": True}
    groups = [
        (t("report.first_response"), [(n, SlaRow.percent(r.response_met, r.response_missed) or 0) for r, n in names]),
        (t("report.resolution"), [(n, SlaRow.percent(r.resolution_met, r.resolution_missed) or 0) for r, n in names]),
    ]
    return charts.grouped_bars(t("report.sla"), groups, fallback)


def satisfaction(t: Translate, report: Report) -> Element:
    """How many of each rating."""
    counts = report.csat.counts
    if not counts:
        return {"type": "TextBlock", "text": t("report.no_ratings"), "wrap": True, "isSubtle": True}
    slices = [(t("report.score", score=score), counts[score]) for score in sorted(counts, reverse=True)]
    fallback = charts.table([t("report.rating"), t("report.tickets")], [(k, str(v)) for k, v in slices])
    return charts.donut(t("report.csat"), slices, fallback)


def backlog(t: Translate, report: Report) -> Element:
    """Open tickets by age."""
    bars = [(t(f"report.age.{label}"), report.backlog.get(label, 0)) for label, _ in AGE_BUCKETS]
    fallback = charts.table([t("report.age"), t("report.tickets")], [(k, str(v)) for k, v in bars])
    return charts.vertical_bar(t("report.backlog"), t("report.age"), t("report.tickets"), bars, fallback)


def ranked(t: Translate, title: str, column: str, items: list[tuple[str, int]]) -> Element:
    """A top list as horizontal bars."""
    fallback = charts.table([column, t("report.tickets")], [(k, str(v)) for k, v in items])
    return charts.horizontal_bar(title, items, fallback)


def _facts(t: Translate, report: Report) -> list[dict[str, str]]:
    csat = report.csat
    rating = (
        t("report.csat_value", average=f"{csat.average:.1f}", count=csat.total) if csat.average else t("report.none")
    )
    ms = report.escalations
    average = t("report.minutes", minutes=round(ms.average_minutes)) if ms.average_minutes is not None else "—"
    deflect = report.deflections
    return [
        fact(t("report.opened"), str(report.opened)),
        fact(t("report.closed"), str(report.closed)),
        fact(t("report.csat"), rating),
        fact(t("report.ms_filed"), str(ms.filed)),
        fact(t("report.ms_responded"), str(ms.responded)),
        fact(t("report.ms_average"), average),
        fact(t("report.ms_late"), str(ms.late)),
        fact(t("report.deflections_offered"), str(deflect.offered)),
        fact(t("report.deflections_solved"), str(deflect.solved)),
    ]


def report_card(t: Translate, report: Report, heading: str, hint: str | None) -> dict[str, Any]:
    """The report as a card; `heading` names the period (and the customer), `hint` how to get the CSV."""
    for rows in DAY_ROWS[:-1]:
        try:
            return _card(t, report, heading, hint, rows)
        except CardTooLarge:
            continue
    return _card(t, report, heading, hint, DAY_ROWS[-1])


def _card(t: Translate, report: Report, heading: str, hint: str | None, rows: int) -> dict[str, Any]:
    elements = [per_day(t, report, rows), sla(t, report), satisfaction(t, report), backlog(t, report)]
    if report.customer is None and report.customers:
        items = [(clip(r.name, NAME_LIMIT), r.count) for r in report.customers]
        elements.append(ranked(t, t("report.top_customers"), t("report.customer"), items))
    if report.products:
        items = [(_label(t, "product", r.name), r.count) for r in report.products]
        elements.append(ranked(t, t("report.top_products"), t("report.product"), items))
    return render(
        "report", heading=heading, dates=_dates(report), facts=_facts(t, report), elements=elements, hint=hint or ""
    )
