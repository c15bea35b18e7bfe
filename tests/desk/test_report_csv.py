"""The report's CSV cells and links: formula-looking cells are defused, a customer's CSV leaves the partner's
assignee out, and a link is refused when its id, expiry or signature was changed, or once it expired."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlparse

import pytest

from desk.report_csv import HEADER, safe_cell, to_csv
from desk.report_links import ReportLinks

ROW = {
    "number": "T-1001",
    "customer_name": "+Fabrikam",
    "product": "microsoft365",
    "service": "@SUM(A1)",
    "severity": "critical",
    "status": "resolved",
    "created_at": "2026-01-12T15:00:00.000000+00:00",
    "first_response_due": "2026-01-12T16:00:00.000000+00:00",
    "first_response_at": "2026-01-12T15:30:00.000000+00:00",
    "resolution_due": "2026-01-13T15:00:00.000000+00:00",
    "done_at": "2026-01-13T16:00:00.000000+00:00",
    "sla_paused_seconds": 0,
    "sla_paused_at": None,
    "rating": 5,
    "assignee_name": "-Alex",
    "sr_id": None,
}


NOW = datetime(2026, 1, 20, 12, 0, tzinfo=UTC)


def test_a_target_passed_unmet_is_missed_as_on_the_card_and_one_not_yet_due_is_blank() -> None:
    open_ticket = {**ROW, "first_response_at": None, "done_at": None, "status": "triaged"}
    missed = dict(zip(HEADER, to_csv([open_ticket], False, NOW).split("\r\n")[1].split(","), strict=True))
    assert missed["first_response_met"] == "no" and missed["resolution_met"] == "no"
    early = datetime(2026, 1, 12, 15, 45, tzinfo=UTC)  # before either target
    pending = dict(zip(HEADER, to_csv([open_ticket], False, early).split("\r\n")[1].split(","), strict=True))
    assert pending["first_response_met"] == "" and pending["resolution_met"] == ""
    # Waiting on the customer since before the resolution target: that clock stands, so it is not missed.
    waiting = {**open_ticket, "sla_paused_at": "2026-01-13T10:00:00.000000+00:00"}
    stood = dict(zip(HEADER, to_csv([waiting], False, NOW).split("\r\n")[1].split(","), strict=True))
    assert stood["resolution_met"] == "" and stood["first_response_met"] == "no"


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@x", "\tx", "\rx"])
def test_formula_looking_cells_get_an_apostrophe(text: str) -> None:
    assert safe_cell(text) == "'" + text
    assert safe_cell("Fabrikam = good") == "Fabrikam = good" and safe_cell(None) == ""


def test_the_csv_rows_say_whether_each_target_was_met_and_customers_get_no_assignee() -> None:
    technician = to_csv([ROW], for_customer=False, now=NOW).split("\r\n")
    assert technician[0] == ",".join(HEADER)
    cells = dict(zip(HEADER, technician[1].split(","), strict=True))
    assert cells["first_response_met"] == "yes" and cells["resolution_met"] == "no"
    assert cells["customer"] == "'+Fabrikam" and cells["service"] == "'@SUM(A1)" and cells["assignee"] == "'-Alex"
    customer = to_csv([ROW], for_customer=True, now=NOW)
    assert "assignee" not in customer and "Alex" not in customer


def test_a_link_is_refused_when_changed_or_expired() -> None:
    links = ReportLinks("https://desk.example", b"k" * 32)
    now = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
    url = links.url("export-1", now + timedelta(minutes=15))
    query = dict(parse_qsl(urlparse(url).query))

    assert url.startswith("https://desk.example/reports/csv?")
    assert links.verify(query, now) == "export-1"
    assert links.verify({**query, "export": "export-2"}, now) is None
    assert links.verify({**query, "expires": str(int(query["expires"]) + 3600)}, now) is None
    assert links.verify({**query, "sig": "0" * 64}, now) is None
    assert links.verify(query, now + timedelta(minutes=16)) is None
    assert ReportLinks("https://desk.example", b"other" * 8).verify(query, now) is None
