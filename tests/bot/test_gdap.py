"""GDAP on the desk, end to end over HTTP with the emulator's Graph: `gdap` lists each customer's relationships for
technicians (customers are refused), expiry warnings reach the triage channel 30, 7 and 1 days before an end without
auto-extend and when one ends — each once, however often the job runs, across a restart and with two instances —
the pre-flight check refuses to file a service request the relationship's roles do not allow (nothing reaches
Partner Center), and `admin <customer>` shows the relationship's state. Time moves with the desk's FixedClock."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bot.jobs.background import Periodic
from bot.jobs.gdap_expiry import check_gdap
from emulator import demo
from emulator.gdap_book import (
    DIRECTORY_READERS,
    GLOBAL_READER,
    SERVICE_SUPPORT_ADMINISTRATOR,
    GdapRelationship,
)
from emulator.state import Fault
from tests.bot.helpers import card_text, raise_ticket, rows, set_triage_channel, ticket_row
from tests.bot.test_escalation import draft_of, form_values, open_form, sign_in
from tests.bot.test_triage_actions import act
from tests.support.harness import FixedClock, local_settings, start_desk

T0 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
GDAP_PATH = "/graph/v1.0/tenantRelationships/delegatedAdminRelationships"
SERVICE_REQUESTS = "/partnercenter/v1/servicerequests"


def relationship(
    rid: str, customer: demo.DemoTenant, ends: timedelta, roles=(SERVICE_SUPPORT_ADMINISTRATOR,), **kw
) -> GdapRelationship:
    end = T0 + ends
    return GdapRelationship(
        rid,
        f"{customer.name} ({rid})",
        customer,
        roles,
        kw.pop("status", "active"),
        end - timedelta(days=400),
        end - timedelta(days=365),
        end,
        **kw,
    )


def partner_relationships() -> list[GdapRelationship]:
    return [
        relationship("fab-1", demo.FABRIKAM, timedelta(days=45), (SERVICE_SUPPORT_ADMINISTRATOR, GLOBAL_READER)),
        relationship("nw-1", demo.NORTHWIND, timedelta(days=20), auto_extend="P180D"),
        relationship("aw-1", demo.ADVENTURE_WORKS, timedelta(days=3), (GLOBAL_READER, DIRECTORY_READERS)),
        relationship("ts-1", demo.TAILSPIN, timedelta(days=-5), status="expired"),
        relationship("ts-0", demo.TAILSPIN, timedelta(days=-400), status="expired"),
    ]


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


@pytest.fixture
async def gdap_desk(tmp_path, connector, clock):
    running = await start_desk(local_settings(tmp_path, connector), connector, clock)
    running.runtime.emulator.state.gdap.replace_all(partner_relationships())
    yield running
    await running.close()


async def warn(desk) -> int:
    sent = await check_gdap(desk.runtime.services)
    await desk.delivered()
    return sent


def warnings_in(desk, channel) -> list[str]:
    texts = [card_text(s.cards[0]) for s in desk.connector.posts(channel.channel_id) if s.cards]
    return [text for text in texts if 'GDAP relationship "' in text]


async def test_gdap_lists_each_customers_relationships(gdap_desk, triage_channel, technician):
    await gdap_desk.send(triage_channel.message(technician, "gdap"))

    card = gdap_desk.connector.posts(triage_channel.channel_id)[-1].cards[0]
    text = card_text(card)
    assert "GDAP relationships (5)" in text
    for name in ("Fabrikam, Inc.", "Northwind Traders", "Adventure Works Cycles", "Tailspin Toys"):
        assert name in text
    assert "Service Support Administrator, Global Reader" in text and "Directory Readers" in text
    assert "active · ends {{DATE(2027-01-08T10:00:00Z, SHORT)}}" in text and "does not auto-extend" in text
    assert "auto-extends" in text and "expired · ends" in text
    assert "None of these roles allows filing Microsoft support requests" in text, "Adventure Works lacks the role"


async def test_gdap_for_one_customer(gdap_desk, triage_channel, technician):
    await gdap_desk.send(triage_channel.message(technician, "gdap tailspin"))

    text = card_text(gdap_desk.connector.posts(triage_channel.channel_id)[-1].cards[0])
    assert "GDAP relationships · Tailspin Toys" in text
    assert "Fabrikam" not in text and text.count("expired · ends") == 2


async def test_customers_are_refused_gdap_in_plain_words(gdap_desk, customer_chat):
    await gdap_desk.send(customer_chat.message("gdap"))

    answer = gdap_desk.connector.posts(customer_chat.conversation_id)[-1]
    assert "is a command for technicians" in answer.text and not answer.cards
    assert gdap_desk.runtime.emulator.state.requests(GDAP_PATH) == []


async def test_a_missing_graph_permission_is_said_plainly(gdap_desk, triage_channel, technician):
    gdap_desk.runtime.emulator.state.gdap.permission_granted = False

    await gdap_desk.send(triage_channel.message(technician, "gdap"))

    answer = gdap_desk.connector.posts(triage_channel.channel_id)[-1].text
    assert "DelegatedAdminRelationship.Read.All application permission" in answer


async def test_warnings_at_30_7_1_days_and_at_the_end_each_once(
    gdap_desk, tmp_path, connector, clock, triage_channel, technician
):
    desk = gdap_desk
    await set_triage_channel(desk, triage_channel, technician)

    # First look: Adventure Works ends in 3 days (past 30 and 7 at once: only the 7-day warning); Tailspin's ended
    # 5 days ago; its older one (400 days ago) is history; Northwind's auto-extends; Fabrikam's is 45 days away.
    assert await warn(desk) == 2
    assert await warn(desk) == 0
    first = warnings_in(desk, triage_channel)
    assert len(first) == 2
    assert any("Adventure Works Cycles" in w and "less than 7 days" in w for w in first)
    assert any("Tailspin Toys (ts-1)" in w and "has ended (expired)" in w for w in first)

    clock.now = T0 + timedelta(days=15, hours=12)  # Fabrikam: 29.5 days left; Adventure Works' end has passed
    assert await warn(desk) == 2
    assert await warn(desk) == 0

    # A restart in between: what was sent is in the database, not in the process.
    await desk.close()
    desk = await start_desk(local_settings(tmp_path, connector), connector, clock)
    try:
        desk.runtime.emulator.state.gdap.replace_all(partner_relationships())
        assert await warn(desk) == 0
        clock.now = T0 + timedelta(days=16)
        assert await warn(desk) == 0

        clock.now = T0 + timedelta(days=38, hours=12)  # Fabrikam: 6.5 days left
        services = desk.runtime.services
        # Two instances at once: the database lets one of them record each warning.
        both = await asyncio.gather(check_gdap(services), check_gdap(services))
        await desk.delivered()
        assert sorted(both) == [0, 1]
        assert await warn(desk) == 0

        clock.now = T0 + timedelta(days=44, hours=12)  # Fabrikam: 12 hours left
        assert await warn(desk) == 1
        assert await warn(desk) == 0

        clock.now = T0 + timedelta(days=45, hours=1)  # Fabrikam's end passed (Graph still says active)
        assert await warn(desk) == 1
        desk.runtime.emulator.state.gdap.change("fab-1", status="expired")  # then Graph catches up
        assert await warn(desk) == 0

        recorded = await rows(
            desk, "SELECT relationship_id, threshold FROM gdap_warnings ORDER BY sent_at, relationship_id"
        )
        assert [(r["relationship_id"], r["threshold"]) for r in recorded] == [
            ("aw-1", "7d"),
            ("ts-1", "ended"),
            ("aw-1", "ended"),
            ("fab-1", "30d"),
            ("fab-1", "7d"),
            ("fab-1", "1d"),
            ("fab-1", "ended"),
        ]
        posted = warnings_in(desk, triage_channel)
        assert len(posted) == 7, "one message per recorded warning, none twice"
        fabrikam = [w for w in posted if "Fabrikam" in w]
        assert ["30 days" in fabrikam[0], "7 days" in fabrikam[1], "within a day" in fabrikam[2]] == [True] * 3
        assert "has ended" in fabrikam[3] and "approve a new relationship" in fabrikam[3]
        assert not any("Northwind" in w for w in posted), "an auto-extending relationship is never warned about"
    finally:
        await desk.close()


async def test_only_the_lease_holder_runs_the_warnings(gdap_desk, clock, triage_channel, technician):
    await set_triage_channel(gdap_desk, triage_channel, technician)
    services = gdap_desk.runtime.services
    first = Periodic("gdap-expiry-test", 3600, lambda: check_gdap(services), services.desk, holder="a", clock=clock)
    second = Periodic("gdap-expiry-test", 3600, lambda: check_gdap(services), services.desk, holder="b", clock=clock)

    assert await first.tick() is True
    assert await second.tick() is False
    await gdap_desk.delivered()
    assert len(warnings_in(gdap_desk, triage_channel)) == 2


async def test_no_warning_without_a_triage_channel_and_none_lost(gdap_desk, triage_channel, technician):
    assert await warn(gdap_desk) == 0
    assert await rows(gdap_desk, "SELECT * FROM gdap_warnings") == []

    await set_triage_channel(gdap_desk, triage_channel, technician)
    assert await warn(gdap_desk) == 2


async def test_graph_down_sends_no_warning_and_records_none(gdap_desk, triage_channel, technician):
    await set_triage_channel(gdap_desk, triage_channel, technician)
    gdap_desk.runtime.emulator.state.inject(Fault(GDAP_PATH, status=503, times=-1))

    assert await warn(gdap_desk) == 0

    assert await rows(gdap_desk, "SELECT * FROM gdap_warnings") == []


@pytest.fixture
async def ticket(gdap_desk, customer_chat, triage_channel, technician):
    gdap_desk.runtime.emulator.state.sr_script = []
    await set_triage_channel(gdap_desk, triage_channel, technician)
    return await ticket_row(gdap_desk, await raise_ticket(gdap_desk, customer_chat))


async def signed_in_form(desk, triage_channel, technician, ticket) -> tuple[str, dict[str, str]]:
    form = await open_form(desk, triage_channel, technician, ticket)
    draft, values = draft_of(form), form_values(form)
    prompt = await act(desk, triage_channel, technician, "escalation.submit", {**ticket, "number": draft}, values)
    await sign_in(desk, prompt["value"])
    return draft, values


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"roles": (GLOBAL_READER, DIRECTORY_READERS)}, "has no role that allows"),
        ({"status": "expired"}, "has ended"),
        ({"customer": demo.NORTHWIND}, "has no GDAP relationship with Fabrikam"),
    ],
)
async def test_preflight_refuses_and_nothing_reaches_partner_center(
    gdap_desk, ticket, triage_channel, technician, change, expected
):
    draft, values = await signed_in_form(gdap_desk, triage_channel, technician, ticket)
    state = gdap_desk.runtime.emulator.state
    state.gdap.change("fab-1", **change)

    body = await act(gdap_desk, triage_channel, technician, "escalation.submit", {**ticket, "number": draft}, values)

    answer = body["value"] if isinstance(body["value"], str) else card_text(body["value"])
    assert expected in answer and "Service Support Administrator" in answer and "T-1001" in answer
    assert state.requests(SERVICE_REQUESTS, method="POST") == [], "nothing sent to Partner Center"
    assert state.service_requests.all() == []
    stored = await ticket_row(gdap_desk, "T-1001")
    assert stored["status"] != "escalated" and stored["sr_id"] is None

    state.gdap.replace_all(partner_relationships())  # the role granted: the same form files
    await act(gdap_desk, triage_channel, technician, "escalation.submit", {**ticket, "number": draft}, values)
    assert len(state.service_requests.all()) == 1


async def test_preflight_does_not_block_when_graph_is_down(gdap_desk, ticket, triage_channel, technician):
    draft, values = await signed_in_form(gdap_desk, triage_channel, technician, ticket)
    state = gdap_desk.runtime.emulator.state
    state.inject(Fault(GDAP_PATH, status=503, times=-1))

    await act(gdap_desk, triage_channel, technician, "escalation.submit", {**ticket, "number": draft}, values)

    assert len(state.service_requests.all()) == 1
    assert [s.status for s in state.requests(GDAP_PATH)][-1] == 503


async def test_admin_card_shows_the_relationship_state(gdap_desk, triage_channel, technician):
    async def admin(name: str) -> str:
        await gdap_desk.send(triage_channel.message(technician, f"admin {name}"))
        return card_text(gdap_desk.connector.posts(triage_channel.channel_id)[-1].cards[0])

    fabrikam = await admin("fabrikam")
    adventure = await admin("adventure")
    tailspin = await admin("tailspin")

    assert "GDAP relationship" in fabrikam and "Fabrikam, Inc. (fab-1)" in fabrikam
    assert "active · ends {{DATE(2027-01-08T10:00:00Z, SHORT)}}" in fabrikam and "does not auto-extend" in fabrikam
    assert "None of these roles" not in fabrikam
    assert "None of these roles allows filing Microsoft support requests" in adventure
    assert "No relationship with this customer is active any more." in tailspin and "ts-1" in tailspin

    gdap_desk.runtime.emulator.state.inject(Fault(GDAP_PATH, status=503, times=-1))
    assert "couldn't read the GDAP relationships" in await admin("fabrikam")
