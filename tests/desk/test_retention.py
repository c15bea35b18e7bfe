"""Housekeeping on a controlled clock: every transient row goes once its retention has passed, recent rows stay,
and the desk's records (tickets, their events and incidents, conversations, technicians) are never pruned."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet

from desk.clock import from_iso, to_iso, utc_now
from desk.escalation import EscalationDraft
from desk.hours import BusinessHours
from desk.outbox import Operation, Outgoing
from desk.ratelimit import Limits, take
from desk.service import Desk
from desk.sla import SlaPolicy
from desk.store import conversations as conv_sql
from desk.store import database, retention
from desk.store import deliveries as delivery_sql
from desk.store import gdap as gdap_sql
from desk.store import incident_controls as control_sql
from desk.store import incidents as incident_sql
from desk.store import outbox as outbox_sql
from desk.store import state as state_sql
from desk.store import storm as storm_sql
from desk.store.conversations import Conversation
from desk.store.database import Cx, Database
from desk.store.drafts import Draft, insert_draft
from desk.store.escalations import save_draft
from desk.store.incidents import StoredIncident
from desk.store.ratelimit import SqlSlotLog
from desk.store.schema import MIGRATIONS
from desk.store.tokens import PendingSignIn, Sealer
from desk.support import SlaTargets, parse_targets
from desk.tickets import Product, Requester, Severity, TicketFields
from tests.support.engines import engine, fresh_database_url, open_test_database
from tests.support.harness import FixedClock

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
TARGETS = parse_targets("critical=1h,moderate=4h,minimal=8h")
REQUESTER = Requester("tenant-1", "Fabrikam, Inc.", "megan", "Megan Bowen", "megan@fabrikam.example", "a:megan")
FIELDS = TicketFields(Product.M365, "Exchange Online", Severity.MODERATE, "Mail stuck", "Nothing leaves.", "phone")


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await open_test_database(tmp_path)
    yield database
    await database.close()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def desk(db: Database, clock: FixedClock) -> Desk:
    desk = Desk(db, SlaPolicy(BusinessHours.parse("24x7", "UTC"), SlaTargets(TARGETS, TARGETS)), clock)
    desk.sealer = Sealer([Fernet.generate_key()])
    return desk


def ago(**delta: float) -> datetime:
    return NOW - timedelta(**delta)


async def column(db: Database, sql: str) -> list[Any]:
    """The first column of every row of a query, in order."""
    return await db.run(lambda cx: [next(iter(dict(r).values())) for r in cx.all(sql)])


async def housekeeping_at(desk: Desk, clock: FixedClock, at: datetime) -> None:
    clock.now = at
    await desk.housekeeping()


async def test_inbound_activity_ids_go_after_two_days(desk: Desk, db: Database, clock: FixedClock) -> None:
    for key, at in (("old", ago(days=2, seconds=1)), ("recent", ago(days=1, hours=23))):
        await db.run(lambda cx, key=key, at=at: delivery_sql.complete(cx, key, None, at))
        await db.run(lambda cx, key=key, at=at: delivery_sql.claim_change(cx, f"{key}#1", at))

    await housekeeping_at(desk, clock, NOW)

    assert await column(db, "SELECT key FROM inbound_activities") == ["recent"]
    assert await column(db, "SELECT key FROM inbound_changes") == ["recent#1"]


async def test_sign_ins_never_completed_go_after_their_fifteen_minutes(
    desk: Desk, db: Database, clock: FixedClock
) -> None:
    for state, at in (("old", ago(minutes=16)), ("recent", ago(minutes=14))):
        await desk.save_sign_in(PendingSignIn(state, "alex", {"code_verifier": "v"}, "19:triage", None, at))

    await housekeeping_at(desk, clock, NOW)

    assert await column(db, "SELECT state FROM sign_ins") == ["recent"]


async def test_finished_or_abandoned_dialog_state_goes_after_thirty_days(
    desk: Desk, db: Database, clock: FixedClock
) -> None:
    for key, at in (("msteams/conversations/old", ago(days=31)), ("msteams/conversations/recent", ago(days=29))):
        await db.run(lambda cx, key=key, at=at: state_sql.write_document(cx, key, '{"DialogState": {}}', None, at))
    # A document written again lives on from its last write.
    await db.run(lambda cx: state_sql.write_document(cx, "msteams/conversations/again", "{}", None, ago(days=40)))
    await db.run(lambda cx: state_sql.write_document(cx, "msteams/conversations/again", "{}", "*", ago(days=1)))

    await housekeeping_at(desk, clock, NOW)

    assert await column(db, "SELECT key FROM bot_state ORDER BY key") == [
        "msteams/conversations/again",
        "msteams/conversations/recent",
    ]


async def test_after_hours_marks_go_once_support_has_reopened(desk: Desk, db: Database, clock: FixedClock) -> None:
    await desk.mark_once("after_hours:a:old", to_iso(ago(minutes=1)) or "")
    await desk.mark_once("after_hours:a:waiting", to_iso(NOW + timedelta(hours=14)) or "")
    await desk.set_meta("triage_channel", "19:triage")
    await desk.set_meta("support_profile", '{"email": "x"}')

    await housekeeping_at(desk, clock, NOW)

    assert await column(db, "SELECT key FROM meta ORDER BY key") == [
        "after_hours:a:waiting",
        "support_profile",
        "triage_channel",
    ]
    # The customer still waiting for support to open is not told twice.
    assert await desk.mark_once("after_hours:a:waiting", to_iso(NOW + timedelta(hours=14)) or "") is False


async def test_new_ticket_forms_go_after_thirty_days_submitted_or_not(
    desk: Desk, db: Database, clock: FixedClock
) -> None:
    ticket = (await desk.create_ticket("draft:old-sent", REQUESTER, FIELDS, lambda t: [])).ticket

    def setup(cx: Cx) -> None:
        insert_draft(cx, Draft("old-unsent", "megan", "tenant-1", {}, None, ago(days=31)))
        insert_draft(cx, Draft("old-sent", "megan", "tenant-1", {}, None, ago(days=31)))
        cx.execute("UPDATE drafts SET ticket_id = ? WHERE id = 'old-sent'", (ticket.id,))
        insert_draft(cx, Draft("recent", "megan", "tenant-1", {}, None, ago(days=29)))

    await db.run(setup)
    await housekeeping_at(desk, clock, NOW)

    assert await column(db, "SELECT id FROM drafts") == ["recent"]
    assert await column(db, "SELECT number FROM tickets") == ["T-1001"]


async def test_escalation_forms_never_submitted_go_after_thirty_days(
    desk: Desk, db: Database, clock: FixedClock
) -> None:
    ticket = (await desk.create_ticket("k", REQUESTER, FIELDS, lambda t: [])).ticket
    for draft_id, sr_id, at in (
        ("old-unsent", None, ago(days=31)),
        ("old-filed", "626120372126707", ago(days=400)),
        ("recent", None, ago(days=29)),
    ):
        draft = EscalationDraft(draft_id, ticket.id, "alex", {"title": "t"}, sr_id, at)
        await db.run(lambda cx, draft=draft: save_draft(cx, draft))

    unconfirmed = EscalationDraft("old-unconfirmed", ticket.id, "alex", {"title": "t"}, None, ago(days=31))
    await db.run(lambda cx: save_draft(cx, unconfirmed))
    # Its filing began and Partner Center never confirmed it: Microsoft may hold the request, so the form stays.
    await db.run(lambda cx: cx.execute("UPDATE escalations SET filing_at = ? WHERE id = 'old-unconfirmed'", ("x",)))

    await housekeeping_at(desk, clock, NOW)

    assert await column(db, "SELECT id FROM escalations ORDER BY id") == ["old-filed", "old-unconfirmed", "recent"]


async def test_expired_leases_go_after_a_day(desk: Desk, db: Database, clock: FixedClock) -> None:
    ttl = timedelta(minutes=2)
    for name, at in (("renamed-job", ago(days=1, minutes=3)), ("idle-job", ago(hours=20)), ("sla-watch", NOW)):
        await db.run(lambda cx, name=name, at=at: conv_sql.acquire_lease(cx, name, "host-1", at, ttl))

    await housekeeping_at(desk, clock, NOW)

    assert await column(db, "SELECT name FROM leases ORDER BY name") == ["idle-job", "sla-watch"]


async def test_lapsed_heartbeats_go_after_a_day(desk: Desk, db: Database, clock: FixedClock) -> None:
    from desk.store import instances as instance_sql

    for holder, until in (("killed-long-ago", ago(days=1, seconds=1)), ("killed-today", ago(hours=20)), ("alive", NOW)):
        await db.run(lambda cx, holder=holder, until=until: instance_sql.beat(cx, holder, until))

    await housekeeping_at(desk, clock, NOW)

    assert await column(db, "SELECT holder FROM instances ORDER BY holder") == ["alive", "killed-today"]


async def test_outbox_keeps_sent_thirty_days_failed_ninety_after_queueing_and_pending_always(
    desk: Desk, db: Database, clock: FixedClock
) -> None:
    def setup(cx: Cx) -> None:
        texts = ["sent-old", "sent-recent", "failed-old", "failed-recent", "pending-old"]
        items = [Outgoing("a:chat", Operation.POST, {"type": "message", "text": t}) for t in texts]
        outbox_sql.enqueue(cx, items, ago(days=400))
        ids = [r["id"] for r in cx.all("SELECT id FROM outbox ORDER BY id")]
        outbox_sql.mark_sent(cx, ids[0], "1", ago(days=31))
        outbox_sql.mark_sent(cx, ids[1], "2", ago(days=29))
        outbox_sql.mark_failed(cx, ids[2], "refused")
        outbox_sql.mark_failed(cx, ids[3], "refused")
        cx.execute("UPDATE outbox SET created_at = ? WHERE id = ?", (to_iso(ago(days=91)), ids[2]))
        cx.execute("UPDATE outbox SET created_at = ? WHERE id = ?", (to_iso(ago(days=89)), ids[3]))

    await db.run(setup)
    await housekeeping_at(desk, clock, NOW)

    assert [json.loads(a)["text"] for a in await column(db, "SELECT activity FROM outbox ORDER BY id")] == [
        "sent-recent",
        "failed-recent",
        "pending-old",
    ]


async def test_sla_alerts_of_tickets_closed_ninety_days_ago_go(desk: Desk, db: Database, clock: FixedClock) -> None:
    numbers = {}
    for name, closed in (("long-closed", ago(days=91)), ("just-closed", ago(days=89)), ("open", None)):
        ticket = (await desk.create_ticket(name, REQUESTER, FIELDS, lambda t: [])).ticket
        numbers[ticket.id] = name

        def close(cx: Cx, ticket_id: int = ticket.id, closed: datetime | None = closed) -> None:
            if closed is not None:
                cx.execute(
                    "UPDATE tickets SET status = 'closed', closed_at = ? WHERE id = ?", (to_iso(closed), ticket_id)
                )
            cx.execute(
                "INSERT INTO sla_alerts (ticket_id, kind, due, sent_at) VALUES (?, 'response_breach', ?, ?)",
                (ticket_id, to_iso(ago(days=200)), to_iso(ago(days=200))),
            )

        await db.run(close)

    await housekeeping_at(desk, clock, NOW)

    kept = await column(db, "SELECT ticket_id FROM sla_alerts ORDER BY ticket_id")
    assert [numbers[t] for t in kept] == ["just-closed", "open"]
    assert len(await column(db, "SELECT id FROM tickets")) == 3


async def test_incidents_resolved_ninety_days_ago_go_with_their_posted_cards(
    desk: Desk, db: Database, clock: FixedClock
) -> None:
    def incident(incident_id: str, resolved: bool) -> StoredIncident:
        return StoredIncident(incident_id, "Mail delayed", "Exchange Online", "incident", "x", ("t",), "f", resolved)

    def setup(cx: Cx) -> None:
        for incident_id, resolved, at in (
            ("EX1", True, ago(days=91)),  # resolved long ago
            ("EX2", True, ago(days=89)),  # resolved recently
            ("EX3", False, ago(days=400)),  # still going on: its card is still updated
        ):
            incident_sql.save_incident(cx, incident(incident_id, resolved), at)
            outbox_sql.record_posted(cx, f"incident:{incident_id}", "19:triage", f"activity-{incident_id}")
            control_sql.record_card(cx, incident_id, {"type": "AdaptiveCard"}, [], resolved, None, at)

    await db.run(setup)
    await housekeeping_at(desk, clock, NOW)

    assert await column(db, "SELECT id FROM incidents ORDER BY id") == ["EX2", "EX3"]
    assert await column(db, "SELECT key FROM posted_cards ORDER BY key") == ["incident:EX2", "incident:EX3"]
    assert await column(db, "SELECT incident_id FROM incident_controls ORDER BY incident_id") == ["EX2", "EX3"]


async def test_released_storm_cards_go_after_thirty_days_unless_their_storm_is_on(
    desk: Desk, db: Database, clock: FixedClock
) -> None:
    tickets = [(await desk.create_ticket(f"k{i}", REQUESTER, FIELDS, lambda t: [])).ticket for i in range(4)]

    def setup(cx: Cx) -> None:
        over = storm_sql.begin(cx, "19:over", ago(days=40))
        storm_sql.keep_back(cx, "19:over", tickets[0].id, over, ago(days=40))
        storm_sql.released(cx, "19:over", tickets[0].id, ago(days=31))  # released long ago, storm over: goes
        storm_sql.keep_back(cx, "19:over", tickets[1].id, over, ago(days=40))
        storm_sql.released(cx, "19:over", tickets[1].id, ago(days=29))  # released recently: stays
        storm_sql.end(cx, "19:over", ago(days=29))
        on = storm_sql.begin(cx, "19:on", ago(days=40))
        storm_sql.keep_back(cx, "19:on", tickets[2].id, on, ago(days=40))
        storm_sql.released(cx, "19:on", tickets[2].id, ago(days=31))  # its storm is still on: its summary lists it
        storm_sql.keep_back(cx, "19:on", tickets[3].id, on, ago(days=40))  # never released: stays

    await db.run(setup)
    await housekeeping_at(desk, clock, NOW)

    kept = await column(db, "SELECT ticket_id FROM storm_tickets ORDER BY ticket_id")
    assert kept == [t.id for t in tickets[1:]]
    assert await column(db, "SELECT conversation_key FROM storms ORDER BY conversation_key") == ["19:on", "19:over"]


async def test_bulk_reply_forms_never_sent_go_after_thirty_days_and_sent_ones_stay(
    desk: Desk, db: Database, clock: FixedClock
) -> None:
    def setup(cx: Cx) -> None:
        for form, opened, sent in (("old-unsent", 31, False), ("new-unsent", 29, False), ("old-sent", 400, True)):
            control_sql.new_bulk_reply(cx, form, "EX1", "alex", ago(days=opened))
            if sent:
                control_sql.finish_bulk_reply(cx, form, "Fixed.", 3, 4, 0, ago(days=opened))

    await db.run(setup)
    await housekeeping_at(desk, clock, NOW)

    assert await column(db, "SELECT id FROM bulk_replies ORDER BY id") == ["new-unsent", "old-sent"]


async def test_gdap_warnings_go_ninety_days_after_sending(desk: Desk, db: Database, clock: FixedClock) -> None:
    def setup(cx: Cx) -> None:
        gdap_sql.record_warning(cx, "rel-old", "ended", "2026-08-01", "tenant-1", ago(days=91))
        gdap_sql.record_warning(cx, "rel-new", "7", "2026-12-01", "tenant-1", ago(days=89))

    await db.run(setup)
    await housekeeping_at(desk, clock, NOW)

    assert await column(db, "SELECT relationship_id FROM gdap_warnings") == ["rel-new"]


async def test_sign_ins_unused_for_ninety_days_go(desk: Desk, db: Database, clock: FixedClock) -> None:
    # Entra ID refresh tokens expire after 90 days without use: such a cache only holds dead tokens.
    for aad_id, at in (("gone", ago(days=91)), ("active", ago(days=89))):
        clock.now = at
        await desk.save_token_cache(aad_id, f"{aad_id}@contoso.example", "cache")

    await housekeeping_at(desk, clock, NOW)

    assert await column(db, "SELECT aad_id FROM user_tokens") == ["active"]


async def test_records_are_never_pruned(desk: Desk, db: Database, clock: FixedClock) -> None:
    ticket = (await desk.create_ticket("k", REQUESTER, FIELDS, lambda t: [])).ticket
    await db.run(lambda cx: cx.execute("UPDATE tickets SET status = 'closed', closed_at = ?", (to_iso(ago(days=999)),)))
    await desk.save_conversation(Conversation("a:megan", {"id": "a:megan"}, "https://smba/", "tenant-1", "personal"))
    link = incident_sql.LinkedIncident("EX1", "Mail delayed", "resolved", None)
    await db.run(lambda cx: incident_sql.link_incident(cx, ticket.id, link, ago(days=999)))

    await housekeeping_at(desk, clock, NOW + timedelta(days=3650))

    assert await column(db, "SELECT number FROM tickets") == ["T-1001"]
    assert len(await column(db, "SELECT id FROM ticket_events")) == 1
    assert await column(db, "SELECT incident_id FROM ticket_incidents") == ["EX1"]
    assert await column(db, "SELECT key FROM conversations") == ["a:megan"]


def raw_connection(folder: Path) -> tuple[Any, Cx]:
    """A connection to an empty database of this run's engine outside the seam (each statement commits), to run
    migrations one by one."""
    if engine() == "sqlite":
        connection = sqlite3.connect(str(folder / "old.db"), isolation_level=None)
        connection.row_factory = sqlite3.Row
        return connection, database._SqliteCx(connection)
    import psycopg
    from psycopg.rows import dict_row

    from desk.store.postgres import _PostgresCx

    pg = psycopg.connect(fresh_database_url(folder), autocommit=True, row_factory=dict_row)
    return pg, _PostgresCx(pg)


async def test_dialog_state_written_before_the_upgrade_counts_from_the_upgrade(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mine = next(i for i, m in enumerate(MIGRATIONS) if any("bot_state ADD COLUMN updated_at" in s for s in m))
    connection, cx = raw_connection(tmp_path)
    monkeypatch.setattr(database, "MIGRATIONS", MIGRATIONS[:mine])
    database.migrate(cx)
    cx.execute("INSERT INTO bot_state (key, etag, document) VALUES ('msteams/conversations/a', 1, '{}')")
    monkeypatch.setattr(database, "MIGRATIONS", MIGRATIONS)
    before = utc_now()

    database.migrate(cx)

    stamped = from_iso(cx.one("SELECT updated_at FROM bot_state")["updated_at"])  # type: ignore[index]
    assert stamped is not None and before - timedelta(seconds=1) <= stamped <= utc_now()
    assert state_sql.write_document(cx, "msteams/conversations/b", "{}", None, utc_now() - timedelta(days=31)) == "1"
    assert retention.prune_state(cx, utc_now()) == 1  # the stale new one, not the one from before the upgrade
    assert [r["key"] for r in cx.all("SELECT key FROM bot_state")] == ["msteams/conversations/a"]
    connection.close()


async def test_rate_limiter_slots_go_after_a_day(desk: Desk, db: Database, clock: FixedClock) -> None:
    """The shared limiter's log (no limit spans more than an hour) is kept a day; a key still counting stays."""
    limits = Limits(((5, 3600.0),))

    def slots(cx: Cx) -> None:
        for key, at in (("old", ago(days=1, seconds=1)), ("recent", ago(hours=23))):
            take(SqlSlotLog(cx), key, limits, at)

    await db.run(slots)

    await housekeeping_at(desk, clock, NOW)

    assert await column(db, "SELECT key FROM rate_limit_slots") == ["recent"]
    assert await column(db, "SELECT key FROM rate_limits") == ["recent"]
