"""The fault matrix, Microsoft's side: Entra ID, Microsoft Graph and Partner Center each answer 429, 500, 503, too
late, with a body that is not JSON, and with JSON of the wrong shape, while one technician needs that service for
one customer and a customer of another tenant files a ticket at the same time. The technician is told plainly, the
other customer is served, the faulty service is asked a bounded number of times, and once it answers again the
same command works and nothing is left undelivered.

Each cell runs on a fresh desk through the real app, the real clients and the emulator over HTTPS (rig.py says
how time is kept out of it)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from emulator import demo
from emulator.server import DEFAULT_RETRY_AFTER
from emulator.state import Fault
from msapi.retry import RetryPolicy
from tests.faults.conftest import MakeRig
from tests.faults.rig import SLOW_ANSWER, FaultRig, T, our_tracebacks
from tests.support.activities import Chat, user

FABRIKAM = demo.FABRIKAM.tenant_id
POLICY = RetryPolicy()  # what the runtime's Graph and Partner Center clients use
ATTEMPTS = POLICY.attempts
UNREADABLE = T("health.unreadable", customer=demo.FABRIKAM.name)
# The tracebacks the desk logs on purpose, once per failed read (not per attempt, nor per person waiting): the health
# board logs a Microsoft API error with its chain (tests/desk/test_health_board.py), and the customer directory a
# refresh it survives by keeping its list. Any other traceback (a failed turn, a "bug while reading") fails a cell.
HEALTH_UNREAD = f"desk.health: could not read service health of {demo.FABRIKAM.name}"
LIST_KEPT = "desk.customers: could not refresh the customer list; keeping the one loaded before"
# Answers the matrix injects, as the emulator's Fault fields: each error answer in the wire format of the API it
# hits (a 429 with that API's usual Retry-After), an answer slower than every client's timeout, a body cut off
# mid-JSON, and a well-formed JSON object with none of the fields the API documents.
FAULTS: dict[str, dict[str, Any]] = {
    "429": {"status": 429},
    "500": {"status": 500},
    "503": {"status": 503},
    "timeout": {"status": 0, "delay": SLOW_ANSWER},
    "malformed": {"status": 200, "raw": '{"value": [{"id": "cut off'},
    "wrong_shape": {"status": 200, "body": {"unexpected": "shape"}},
}
TOKEN_PATH = f"/login/{FABRIKAM}/oauth2/v2.0/token"
GRAPH_PATH = "/graph/v1.0/admin/serviceAnnouncement/"
CUSTOMERS_PATH = "/partnercenter/v1/customers"


def plain(text: str) -> bool:
    """Nothing of a traceback or an exception in what a person is shown."""
    return not any(word in text for word in ("Traceback", "Exception", "Error:", "HTTP 5"))


def asked(rig: FaultRig, path: str) -> int:
    """Requests the emulator answered under `path`."""
    return len(rig.emulator.requests(path))


async def health_while_a_customer_files(rig: FaultRig) -> tuple[str, str]:
    """Alex asks `health fabrikam` while Nestor of Northwind files a ticket; returns (Alex's answer, the number)."""
    return await asyncio.gather(rig.said("health fabrikam"), rig.nestor_files_a_ticket())


async def others_served(rig: FaultRig, number: str) -> None:
    """Nestor's ticket reached the triage channel and another tenant's health reads as usual."""
    assert await rig.ticket_reached_triage(number), "the other customer's ticket reached the technicians"
    northwind = await rig.said("health northwind")
    assert "Service health · Northwind Traders" in northwind and "Exchange Online" in northwind
    assert "couldn't read" not in northwind


def waited(rig: FaultRig, fault: str, api: str) -> None:
    """Every wait of the clients was within the policy; after a 429 they waited the Retry-After it named."""
    assert all(0 <= wait <= POLICY.max_retry_after for wait in rig.virtual.waits), rig.virtual.waits
    if fault == "429":
        assert float(DEFAULT_RETRY_AFTER[api]) in rig.virtual.waits, rig.virtual.waits


async def settled(rig: FaultRig, records: list[Any], tracebacks: list[str]) -> None:
    """Everything queued went out; no 5xx was answered to Teams; our code logged `tracebacks` and no other."""
    await rig.deliver_all(rounds=3)
    assert await rig.outbox_unsent() == []
    assert rig.statuses and max(rig.statuses) < 500, rig.statuses
    assert our_tracebacks(records) == tracebacks


@pytest.mark.parametrize("fault", FAULTS)
async def test_graph_fault_for_one_tenant(make_rig: MakeRig, caplog: pytest.LogCaptureFixture, fault: str) -> None:
    rig = await make_rig()
    injected = Fault(GRAPH_PATH, tenant=FABRIKAM, times=-1, **FAULTS[fault])
    rig.emulator.inject(injected)

    health, number = await health_while_a_customer_files(rig)

    assert UNREADABLE in health and plain(health), health
    await others_served(rig, number)
    # Two reads (overviews, issues), each at most the policy's attempts.
    assert 1 <= injected.hits <= 2 * ATTEMPTS
    waited(rig, fault, "/graph")

    rig.emulator.clear_faults()
    again = await rig.said("health fabrikam")
    assert "Service health · Fabrikam, Inc." in again and "Exchange Online" in again and UNREADABLE not in again
    await settled(rig, caplog.records, [HEALTH_UNREAD])


@pytest.mark.parametrize("fault", FAULTS)
async def test_entra_fault_for_one_tenant(make_rig: MakeRig, caplog: pytest.LogCaptureFixture, fault: str) -> None:
    rig = await make_rig()
    injected = Fault(TOKEN_PATH, times=-1, **FAULTS[fault])
    rig.emulator.inject(injected)

    health, number = await health_while_a_customer_files(rig)

    assert UNREADABLE in health and plain(health), health
    await others_served(rig, number)
    # Both reads wait for one token acquisition; nothing of ours retries a token (MSAL decides that).
    assert injected.hits == 1

    rig.emulator.clear_faults()
    replayed = fault in ("429", "500", "503")
    if replayed:
        # MSAL answers every caller with the throttled answer for its Retry-After (the emulator's 60 s for a 429,
        # MSAL's 5 s for a 5xx without one), without asking Entra ID: the desk says so plainly meanwhile.
        meanwhile = await rig.said("health fabrikam")
        assert UNREADABLE in meanwhile and asked(rig, TOKEN_PATH) == 1, "Entra ID was not asked again"
        rig.msal_clock.skip(61)
    again = await rig.said("health fabrikam")
    assert "Service health · Fabrikam, Inc." in again and "Exchange Online" in again and UNREADABLE not in again
    await settled(rig, caplog.records, [HEALTH_UNREAD] * (2 if replayed else 1))


@pytest.mark.parametrize("fault", FAULTS)
async def test_partner_center_fault_for_customers(
    make_rig: MakeRig, caplog: pytest.LogCaptureFixture, fault: str
) -> None:
    # The customer list goes stale at once, so the first lookup under the fault refreshes it from Partner Center.
    rig = await make_rig(CUSTOMER_CACHE_SECONDS="0")
    injected = Fault(CUSTOMERS_PATH, times=-1, **FAULTS[fault])
    rig.emulator.inject(injected)

    admin, number = await asyncio.gather(rig.said("admin fabrikam"), rig.nestor_files_a_ticket())

    assert T("admin.heading", customer=demo.FABRIKAM.name) in admin, "the customer list it had still names Fabrikam"
    assert T("admin.subscriptions_unavailable") in admin and plain(admin), admin
    await others_served(rig, number)
    listed = await rig.said("customers")
    assert all(customer.name in listed for customer in demo.CUSTOMERS), "the last customer list keeps serving"
    # One refresh of the list and one read of Fabrikam's subscriptions, each at most the policy's attempts.
    assert 1 <= injected.hits <= 2 * ATTEMPTS
    waited(rig, fault, "/partnercenter")

    rig.emulator.clear_faults()
    again = await rig.said("admin fabrikam")
    assert T("admin.subscriptions") in again and T("admin.subscriptions_unavailable") not in again
    await settled(rig, caplog.records, [LIST_KEPT])


@pytest.mark.parametrize("fault", ["503", "timeout"])
async def test_partner_center_down_before_the_first_customer_list(
    make_rig: MakeRig, caplog: pytest.LogCaptureFixture, fault: str
) -> None:
    # No list to keep serving: nobody can be told apart from a stranger until Partner Center answers.
    rig = await make_rig(cold=True)
    injected = Fault(CUSTOMERS_PATH, times=-1, **FAULTS[fault])
    rig.emulator.inject(injected)
    customers = rig.runtime.services.customers
    customers._now = rig.virtual.clock
    patti = Chat(user(demo.ADVENTURE_WORKS, 0), rig.connector.url)
    writers = (rig.megan, rig.nestor, patti)

    await asyncio.gather(*(rig.send(chat.message("new ticket")) for chat in writers))

    plainly = T("refusal.directory_unavailable")
    for chat in writers:
        assert [s.text for s in rig.connector.sent_to(chat.conversation_id)] == [plainly]
    stored = await rig.runtime.db.run(lambda cx: cx.all("SELECT key FROM conversations"))
    assert not {row["key"] for row in stored} & {chat.conversation_id for chat in writers}, "nothing stored"
    assert await rig.said("customers") == T("customers.unavailable")
    status, body = await rig.send(rig.megan.invoke("tickets.mine"))  # a card button, answered in the invoke
    assert (status, body["value"]) == (200, plainly)
    # One load for all who wrote meanwhile (not one each, in turn), at most the policy's attempts.
    assert 1 <= injected.hits <= ATTEMPTS

    rig.emulator.clear_faults()
    rig.virtual.now += 11  # past the directory's pause after a failed first load
    status, _ = await rig.send(rig.megan.message("new ticket"))
    assert status == 201 and rig.connector.sent_to(rig.megan.conversation_id)[-1].cards, "the ticket form"
    # `customers` logs the failure it answers with its chain, on purpose; the writers' turns end plainly, no traceback.
    await settled(rig, caplog.records, ["bot.features.admin: could not list customers"])
