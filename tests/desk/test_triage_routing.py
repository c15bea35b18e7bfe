"""Routing rules (desk/routing.py) and the routing service over the store (desk/routing_service.py), on this run's
engine."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from desk.changes import Actor
from desk.clock import to_iso
from desk.outbox import Card, Operation, Outgoing
from desk.people import Role
from desk.routing import BILLING, Route, RouteKind, RouteTarget, keyword_target, route_for
from desk.routing_service import Move
from desk.service import Desk
from desk.store import database
from desk.store.conversations import Conversation
from desk.store.database import Cx, Database, open_database
from desk.store.schema import MIGRATIONS
from desk.tickets import Product, Requester, Severity, Status, Ticket, TicketFields
from desk.workflow import Refused
from tests.desk.test_store import POLICY
from tests.support.engines import fresh_database_url, open_test_database

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
FABRIKAM = "9c4e2b7a-3d1f-4a8e-b6c5-2f0e1d3c4b01"
REQUESTER = Requester(FABRIKAM, "Fabrikam, Inc.", "megan", "Megan Bowen", "megan@fabrikam.example", "a:megan")
FIELDS = TicketFields(Product.AZURE, "Virtual machines", Severity.CRITICAL, "VM down", "It stopped.", "megan")
ALEX = Actor("alex", "Alex Wilber", Role.TECHNICIAN)


def ticket(**changes: object) -> Ticket:
    fields = replace(FIELDS, **{k: v for k, v in changes.items() if k in ("product", "service", "severity")})
    tenant = str(changes.get("tenant", FABRIKAM))
    return Ticket(1, "T-1001", replace(REQUESTER, tenant_id=tenant), fields, Status.NEW, NOW, NOW, "Megan")


ROUTES = [
    Route("r1", RouteKind.SEVERITY, "critical", "critical", "19:critical"),
    Route("r2", RouteKind.PRODUCT, "azure", "azure", "19:azure"),
    Route("r3", RouteKind.PRODUCT, BILLING, BILLING, "19:billing"),
    Route("r4", RouteKind.CUSTOMER, FABRIKAM, "Fabrikam, Inc.", "19:fabrikam"),
]


def test_the_most_specific_route_wins():
    assert route_for(ROUTES, ticket()).id == "r4"  # customer beats everything
    other = "2e8d4f6a-5b3c-4e1d-9f7a-6b5c4d3e2f01"
    assert route_for(ROUTES, ticket(tenant=other)).id == "r2"  # product beats critical
    assert route_for(ROUTES, ticket(tenant=other, service="Azure billing")).id == "r3"  # billing beats the family
    assert route_for(ROUTES, ticket(tenant=other, product=Product.M365)).id == "r1"  # critical beats the default
    assert route_for(ROUTES, ticket(tenant=other, product=Product.M365, severity=Severity.MINIMAL)) is None


def test_billing_is_a_whole_word_of_the_service():
    other = "2e8d4f6a-5b3c-4e1d-9f7a-6b5c4d3e2f01"
    routes = [ROUTES[2]]
    assert route_for(routes, ticket(tenant=other, service="Invoice is wrong")) is not None
    assert route_for(routes, ticket(tenant=other, service="Rebilling tool")) is None
    assert route_for(routes, ticket(tenant=other, service="Billing")) is not None


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("Microsoft 365", ("product", "microsoft365")),
        ("  dynamics   365 ", ("product", "dynamics365")),
        ("AZURE", ("product", "azure")),
        ("billing", ("product", "billing")),
        ("critical", ("severity", "critical")),
        ("azure stack", None),
        ("crit", None),
        ("critical azure", None),
        ("", None),
    ],
)
def test_keywords_are_whole_arguments(words, expected):
    found = keyword_target(words)
    assert (None if found is None else (found.kind.value, found.value)) == expected


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await open_test_database(tmp_path)
    yield database
    await database.close()


@pytest.fixture
def desk(db: Database) -> Desk:
    return Desk(db, POLICY, clock=lambda: NOW)


def channel(key: str) -> Conversation:
    return Conversation(key, {"conversation": {"id": key}}, "https://smba.example/", "partner", "channel")


async def card_posted(desk: Desk, ticket_id: int, activity_id: str) -> None:
    """The sender posted the ticket's card: its post is sent and the ticket knows the card's id."""

    def work(cx: Cx) -> None:
        cx.execute("UPDATE tickets SET triage_activity_id = ? WHERE id = ?", (activity_id, ticket_id))
        cx.execute("UPDATE outbox SET status = 'sent' WHERE ticket_id = ? AND operation = 'post'", (ticket_id,))

    await desk.db.run(work)


def post(conversation: str):  # type: ignore[no-untyped-def]
    def notices(created: Ticket) -> list[Outgoing]:
        return [Outgoing(conversation, Operation.POST, {"type": "message"}, created.id, Card.TRIAGE)]

    return notices


async def test_routes_are_replaced_by_kind_and_value_and_removed(desk: Desk):
    azure = RouteTarget(RouteKind.PRODUCT, "azure", "azure")
    first = await desk.add_route(azure, channel("19:one"), None, "Alex")
    second = await desk.add_route(azure, channel("19:two"), "Azure desk", "Alex")
    assert second.id == first.id and (second.channel_key, second.channel_name) == ("19:two", "Azure desk")
    assert [r.channel_key for r in await desk.routes()] == ["19:two"]
    assert (await desk.remove_route(first.id)) == second
    assert await desk.remove_route(first.id) is None
    assert await desk.routes() == []


async def test_a_ticket_keeps_the_channel_its_card_was_queued_in(desk: Desk):
    await desk.set_triage_channel(channel("19:default"))
    await desk.add_route(RouteTarget(RouteKind.PRODUCT, "azure", "azure"), channel("19:azure"), None, "Alex")
    context = await desk.triage_context()
    created = (await desk.create_ticket("k1", REQUESTER, FIELDS, lambda t: [])).ticket
    routed = context.channel_for(created)
    assert routed is not None and routed.key == "19:azure"
    posted = (await desk.create_ticket("k2", REQUESTER, FIELDS, post("19:default"))).ticket
    assert posted.triage_channel == "19:default" == (await desk.ticket(posted.id)).triage_channel  # type: ignore[union-attr]
    assert (await desk.triage_channel_for(posted)).key == "19:default"  # type: ignore[union-attr]


async def test_a_move_is_refused_before_the_card_is_posted_and_to_unknown_channels(desk: Desk):
    await desk.set_triage_channel(channel("19:default"))
    await desk.add_route(RouteTarget(RouteKind.PRODUCT, "azure", "azure"), channel("19:azure"), None, "Alex")
    created = (await desk.create_ticket("k1", REQUESTER, FIELDS, post("19:default"))).ticket

    def nothing(move: Move) -> list[Outgoing]:
        return []

    with pytest.raises(Refused) as refused:
        await desk.move_ticket(created.id, "19:azure", ALEX, nothing)
    assert refused.value.key == "route.move_not_posted"
    await card_posted(desk, created.id, "a1")
    for key, reason in (("19:nowhere", "route.move_unknown"), ("19:default", "route.move_same")):
        with pytest.raises(Refused) as refused:
            await desk.move_ticket(created.id, key, ALEX, nothing)
        assert refused.value.key == reason
    move = await desk.move_ticket(created.id, "19:azure", ALEX, lambda m: post("19:azure")(m.ticket))
    assert (move.origin.key, move.target.key, move.ticket.triage_channel) == ("19:default", "19:azure", "19:azure")
    # Until the moved card is posted, a second move is refused: the card id still names the card in 19:default.
    with pytest.raises(Refused) as refused:
        await desk.move_ticket(created.id, "19:default", ALEX, lambda m: post("19:default")(m.ticket))
    assert refused.value.key == "route.move_not_posted"


async def test_news_still_queued_for_the_old_card_stay_with_the_old_card(desk: Desk):
    """A reply queued in the old channel before a move still targets the old card once the new card is posted (its
    thread is pinned), instead of the new card's id in the old channel (which Teams would refuse)."""
    await desk.set_triage_channel(channel("19:default"))
    await desk.add_route(RouteTarget(RouteKind.PRODUCT, "azure", "azure"), channel("19:azure"), None, "Alex")
    created = (await desk.create_ticket("k1", REQUESTER, FIELDS, post("19:default"))).ticket
    await card_posted(desk, created.id, "old")
    reply = Outgoing("19:default", Operation.REPLY, {"type": "message", "text": "late"}, created.id, Card.TRIAGE)
    await desk.queue([reply])

    await desk.move_ticket(created.id, "19:azure", ALEX, lambda m: post("19:azure")(m.ticket))

    [row] = await desk.db.run(
        lambda cx: cx.all("SELECT card, thread_id, target_activity_id FROM outbox WHERE operation = 'reply'")
    )
    assert (row["card"], row["thread_id"]) == (None, "old")


async def test_cards_posted_before_the_upgrade_live_in_the_default_channel(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The routing migration gives every ticket whose card was posted the default triage channel (where it is), and
    none to a ticket whose card was never posted (routing decides when it is)."""
    mine = next(i for i, m in enumerate(MIGRATIONS) if any("triage_routes" in str(s) for s in m))
    monkeypatch.setattr(database, "MIGRATIONS", MIGRATIONS[:mine])
    db = await open_database(fresh_database_url(tmp_path / "old"))
    try:

        def before(cx: Cx) -> None:
            cx.execute("INSERT INTO meta (key, value) VALUES ('triage_channel', '19:default')")
            for number, card in ((1001, "a1"), (1002, None)):
                cx.execute(
                    "INSERT INTO tickets (number, idempotency_key, customer_tenant_id, customer_name, requester_aad_id,"
                    " requester_name, requester_email, requester_conversation, product, service, severity, title,"
                    " description, contact, status, created_at, updated_at, updated_by, triage_activity_id) VALUES"
                    " (?, ?, 't', 'Fabrikam', 'm', 'Megan', 'm@f', 'a:m', 'azure', 'VM', 'critical', 'x', 'y', 'z',"
                    " 'new', ?, ?, 'Megan', ?)",
                    (f"T-{number}", f"k{number}", to_iso(NOW), to_iso(NOW), card),
                )

        await db.run(before)
        monkeypatch.setattr(database, "MIGRATIONS", MIGRATIONS)
        await db.run(database.migrate)
        found = await db.run(lambda cx: cx.all("SELECT number, triage_channel FROM tickets ORDER BY number"))
        assert [(r["number"], r["triage_channel"]) for r in found] == [("T-1001", "19:default"), ("T-1002", None)]
    finally:
        await db.close()
