"""The report card is a valid Adaptive Card 1.5 with Teams' chart elements (validated against the schema extended
with the charts as Microsoft Learn gives them, tests/cards/chart_schema.py), in every locale, for a quarter of
busy days and long hostile names; every chart has a table fallback with the same numbers; a customer's card has no
customer ranking."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from cards.reports import report_card
from desk.i18n import Translator
from desk.reports import (
    Csat,
    DayCount,
    Deflections,
    Escalations,
    PeriodKind,
    Ranked,
    Report,
    SlaRow,
    period_ending,
)
from tests.bot.helpers import card_text, nodes
from tests.cards.chart_schema import assert_valid_chart_card
from tests.cards.examples import LOCALES
from tests.cards.schema import assert_valid_card

NOW = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)
CHARTS = {"Chart.Line", "Chart.VerticalBar.Grouped", "Chart.Donut", "Chart.VerticalBar", "Chart.HorizontalBar"}


def report(kind: PeriodKind = PeriodKind.MONTH, customer: str | None = None, name: str = "Fabrikam, Inc.") -> Report:
    period = period_ending(kind, NOW, ZoneInfo("America/Chicago"))
    return Report(
        period=period,
        customer=customer,
        days=tuple(DayCount(d.day, n % 7, n % 5) for n, d in enumerate(period.days)),
        sla=(SlaRow("critical", 3, 1, 2, 2), SlaRow("moderate", 10, 0, 9, 1), SlaRow("minimal", 0, 0, 0, 0)),
        csat=Csat({5: 12, 4: 3, 1: 1}),
        backlog={"1d": 2, "3d": 1, "7d": 0, "30d": 4, "older": 1},
        customers=tuple(Ranked(f"{name} {n}", 10 - n) for n in range(5)),
        products=(Ranked("microsoft365", 20), Ranked("azure", 3)),
        escalations=Escalations(4, 3, 95.5, 1),
        deflections=Deflections(9, 4),
    )


@pytest.fixture(params=LOCALES)
def t(request: pytest.FixtureRequest) -> Translator:
    return Translator(request.param)


def types(card: dict[str, object]) -> set[str]:
    return {str(n.get("type")) for n in nodes(card)}


def test_the_report_card_validates_with_its_charts_and_each_has_a_table_fallback(t: Translator) -> None:
    card = report_card(t, report(), "Support report", "Type report month csv")

    assert_valid_chart_card(card)
    assert types(card) >= CHARTS
    charts = [n for n in card["body"] if str(n["type"]).startswith("Chart.")]
    assert len(charts) == 6 and all(c["fallback"]["type"] == "Table" for c in charts)
    line = next(c for c in charts if c["type"] == "Chart.Line")
    assert [len(series["values"]) for series in line["data"]] == [30, 30]
    grouped = next(c for c in charts if c["type"] == "Chart.VerticalBar.Grouped")
    assert [v["y"] for v in grouped["data"][0]["values"]] == [75, 100], "minimal had nothing due: left out"
    donut = next(c for c in charts if c["type"] == "Chart.Donut")
    assert sum(s["value"] for s in donut["data"]) == 16


def test_the_base_schema_alone_refuses_the_chart_elements_and_the_extended_one_refuses_a_wrong_shape() -> None:
    card = report_card(Translator("en-US"), report(), "Support report", None)
    with pytest.raises(AssertionError):
        assert_valid_card(card)  # the charts are real elements, not something the 1.5 schema lets through
    donut = next(n for n in card["body"] if n["type"] == "Chart.Donut")
    donut["data"] = [{"x": "5", "y": 3}]  # a bar's points in a donut
    with pytest.raises(AssertionError, match="data"):
        assert_valid_chart_card(card)


def test_fallback_tables_carry_the_numbers_for_clients_without_charts() -> None:
    card = report_card(Translator("en-US"), report(), "Support report", None)
    sla = next(n for n in card["body"] if n["type"] == "Chart.VerticalBar.Grouped")
    text = card_text(sla["fallback"])
    assert "3 of 4 (75%)" in text and "2 of 4 (50%)" in text and "9 of 10 (90%)" in text
    facts = {f["title"]: f["value"] for f in card["body"][2]["facts"]}
    assert facts["Microsoft's average first response"] == "96 min"
    assert facts["Solved without a ticket"] == "4" and facts["Customer satisfaction"] == "4.6 of 5 (16 ratings)"


@pytest.mark.parametrize("kind", list(PeriodKind))
def test_a_busy_quarter_with_long_hostile_names_fits(t: Translator, kind: PeriodKind) -> None:
    name = "=cmd|' /C calc'!A0 **bold** [x](https://evil.example) Фабрикам 北风 " * 3
    card = report_card(t, report(kind, name=name), "Support report", "hint")

    assert_valid_chart_card(card)
    labels = [p["x"] for n in card["body"] if n["type"] == "Chart.HorizontalBar" for p in n["data"]]
    assert all(len(label) <= 60 for label in labels)


def test_a_customers_card_ranks_no_customers(t: Translator) -> None:
    card = report_card(t, report(customer="Fabrikam, Inc."), "Fabrikam", None)

    assert_valid_chart_card(card)
    bars = [n for n in card["body"] if n["type"] == "Chart.HorizontalBar"]
    assert len(bars) == 1 and bars[0]["title"] == t("report.top_products")


def test_a_quarter_with_tickets_every_day_fits_in_russian() -> None:
    # Every day busy with three-digit counts (a large desk): the per-day fallback alone is 31 rows, and Russian words
    # and names take the card past Teams' size limit; it must still come, with fewer fallback rows, not fail.
    t = Translator("ru")
    period = period_ending(PeriodKind.QUARTER, NOW, ZoneInfo("Europe/Moscow"))
    busy = report(PeriodKind.QUARTER, name="Общество с ограниченной ответственностью «Северный ветер»")
    days = tuple(DayCount(d.day, 142, 137) for d in period.days)
    products = tuple(Ranked(name, 10) for name in ("microsoft365", "azure", "dynamics365", "other"))
    busy = Report(**{**busy.__dict__, "period": period, "days": days, "products": products})

    card = report_card(t, busy, t("report.heading", period=t("report.period.quarter")), "report quarter csv")

    assert_valid_chart_card(card)
    line = next(n for n in card["body"] if n["type"] == "Chart.Line")
    assert [len(series["values"]) for series in line["data"]] == [90, 90], "the chart keeps every day"
    assert len(line["fallback"]["rows"]) > 1 and "2026-11-30" in card_text(line["fallback"])
