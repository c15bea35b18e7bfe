"""The SQLite store on a real file: migrations, WAL, tickets and their notices, drafts, state, leases, outbox."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from desk.hours import BusinessHours
from desk.outbox import Card, Operation, Outgoing
from desk.people import Person, Role
from desk.service import Desk
from desk.sla import SlaPolicy
from desk.store import conversations as conv_sql
from desk.store import outbox as outbox_sql
from desk.store.database import Cx, Database, SqliteDatabase, migrate, open_database
from desk.store.schema import MIGRATIONS
from desk.store.state import StateConflict, delete_documents, read_documents, write_document
from desk.store.tokens import PendingSignIn, Sealer
from desk.support import SlaTargets
from desk.tickets import Product, Requester, Severity, Status, Ticket, TicketFields
from tests.support.engines import fresh_database_url, open_test_database, read_only_errors, sqlite_only

# Monday 2026-01-12 10:00 UTC, inside Mon-Fri 09:00-17:00 UTC.
NOW = datetime(2026, 1, 12, 10, 0, tzinfo=UTC)
POLICY = SlaPolicy(
    BusinessHours.parse("Mon-Fri 09:00-17:00", "UTC"),
    SlaTargets(
        first_response={"critical": timedelta(hours=1), "moderate": timedelta(hours=4), "minimal": timedelta(hours=8)},
        resolution={"critical": timedelta(hours=8), "moderate": timedelta(hours=24), "minimal": timedelta(hours=40)},
    ),
)
REQUESTER = Requester(
    tenant_id="9c4e2b7a-3d1f-4a8e-b6c5-2f0e1d3c4b01",
    customer_name="Fabrikam, Inc.",
    aad_id="7d2c1b0a-9e8f-4d6c-a5b4-3c2d1e0f9a01",
    name="Megan Bowen",
    email="megan@fabrikam.onmicrosoft.com",
    conversation_key="a:personal-megan",
)
FIELDS = TicketFields(
    product=Product.M365,
    service="Exchange Online",
    severity=Severity.MODERATE,
    title="Mail stuck in Outbox",
    description="Since this morning nothing leaves Outlook.\nРусский текст тоже.",
    contact="+44 20 7946 0000",
)
MEGAN = Person(Role.CUSTOMER, REQUESTER.aad_id, REQUESTER.name, REQUESTER.tenant_id, REQUESTER.email)


def db_path(tmp_path: Path) -> str:
    """The database file of a test (in a folder that does not exist yet)."""
    return str(tmp_path / "store" / "desk.db")


async def open_db(path: str) -> SqliteDatabase:
    """An opened (migrated) SQLite database."""
    db = SqliteDatabase(path)
    await db.open()
    return db


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    """The URL of one empty database of this run's engine, to open more than once."""
    return fresh_database_url(tmp_path / "store")


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    """A fresh database of this run's engine (a file under tmp_path/store on SQLite)."""
    database = await open_test_database(tmp_path)
    yield database
    await database.close()


@pytest.fixture
def desk(db: Database) -> Desk:
    """The desk's use cases over `db`, at a fixed instant."""
    return Desk(db, POLICY, clock=lambda: NOW)


def notice(ticket: Ticket) -> list[Outgoing]:
    """One message to the requester and one triage post, as a feature would queue them."""
    return [
        Outgoing(ticket.requester.conversation_key, Operation.POST, {"type": "message", "text": ticket.number}),
        Outgoing("19:triage", Operation.POST, {"type": "message", "text": ticket.fields.title}, ticket.id, Card.TRIAGE),
    ]


def count(cx: Cx, table: str) -> int:
    """Rows in a table."""
    row = cx.one(f"SELECT COUNT(*) AS n FROM {table}")
    assert row is not None
    return int(row["n"])


async def counts(db: Database) -> tuple[int, int, int]:
    """How many tickets, ticket events and outbox rows are stored."""
    return await db.run(lambda cx: (count(cx, "tickets"), count(cx, "ticket_events"), count(cx, "outbox")))


# --- schema ----------------------------------------------------------------------------------------------------------


def table_names(cx: Cx) -> set[str]:
    """The tables of the database (of the schema in use, on PostgreSQL)."""
    if cx.dialect == "sqlite":
        return {r["name"] for r in cx.all("SELECT name FROM sqlite_master WHERE type='table'")}
    sql = "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema()"
    return {r["name"] for r in cx.all(sql)}


async def test_migrations_create_the_schema(db: Database) -> None:
    tables = await db.run(table_names)
    version = await db.run(lambda cx: cx.one("SELECT MAX(version) AS v FROM schema_version"))

    assert {
        "meta",
        "conversations",
        "drafts",
        "tickets",
        "ticket_events",
        "outbox",
        "inbound_activities",
        "bot_state",
        "leases",
        "schema_version",
    } <= tables
    assert version == {"v": len(MIGRATIONS)}


@sqlite_only
async def test_migration_5_pauses_the_clock_of_tickets_already_waiting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from desk.clock import to_iso
    from desk.store import database
    from desk.store import tickets as ticket_sql

    connection = sqlite3.connect(str(tmp_path / "desk.db"), isolation_level=None)
    connection.row_factory = sqlite3.Row
    cx = database._SqliteCx(connection)
    monkeypatch.setattr(database, "MIGRATIONS", MIGRATIONS[:4])
    assert migrate(cx) == 4
    waiting_since = NOW + timedelta(hours=1)
    waiting = ticket_sql.insert_ticket(cx, "a", REQUESTER, FIELDS, NOW, (None, NOW + timedelta(hours=8)))
    working = ticket_sql.insert_ticket(cx, "b", REQUESTER, FIELDS, NOW, (None, NOW + timedelta(hours=8)))
    cx.execute("UPDATE tickets SET status = 'waiting_on_customer', updated_at = ? WHERE id = ?", (to_iso(NOW), waiting))
    # Written as migration 4's desk wrote it (add_event now also queues the PSA bridge's webhooks, a later table).
    cx.execute(
        "INSERT INTO ticket_events (ticket_id, at, actor_aad_id, actor_name, kind, field, old_value, new_value)"
        " VALUES (?, ?, 'x', 'Alex', 'status', 'status', 'new', 'waiting_on_customer')",
        (waiting, to_iso(waiting_since)),
    )
    monkeypatch.setattr(database, "MIGRATIONS", MIGRATIONS)

    assert migrate(cx) == len(MIGRATIONS)
    assert ticket_sql.get_ticket(cx, waiting).sla_paused_at == waiting_since  # type: ignore[union-attr]
    assert ticket_sql.get_ticket(cx, working).sla_paused_at is None  # type: ignore[union-attr]
    connection.close()


async def test_migrations_are_idempotent(db_url: str) -> None:
    first = await open_database(db_url)
    await first.close()

    again = await open_database(db_url)  # re-open: nothing to apply, no error
    try:
        versions = await again.run(lambda cx: [r["version"] for r in cx.all("SELECT version FROM schema_version")])
        reached = await again.run(migrate)  # and once more by hand
    finally:
        await again.close()

    assert versions == list(range(1, len(MIGRATIONS) + 1))  # each version recorded exactly once
    assert reached == len(MIGRATIONS)


@sqlite_only
async def test_wal_mode_is_on(db: Database, tmp_path: Path) -> None:
    inside = await db.run(lambda cx: cx.one("PRAGMA journal_mode"))
    assert inside == {"journal_mode": "wal"}

    # WAL is a property of the file: another connection sees it too.
    other = sqlite3.connect(db_path(tmp_path))
    try:
        assert other.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    finally:
        other.close()


async def test_failed_work_is_rolled_back(db: Database) -> None:
    def work(cx: Cx) -> None:
        conv_sql.set_meta(cx, "k", "v")
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        await db.run(work)

    assert await db.run(lambda cx: conv_sql.get_meta(cx, "k")) is None


@sqlite_only
async def test_a_failed_commit_rolls_back_and_the_next_unit_of_work_runs(db: Database) -> None:
    # A deferred foreign-key violation makes COMMIT itself fail (as SQLITE_BUSY or a disk error would): the
    # connection must not stay inside that transaction, or every later BEGIN fails.
    def orphan_event(cx: Cx) -> None:
        cx.execute("PRAGMA defer_foreign_keys = ON")
        conv_sql.set_meta(cx, "k", "written with the orphan")
        cx.execute(
            "INSERT INTO ticket_events (ticket_id, at, actor_aad_id, actor_name, kind) VALUES (?, ?, ?, ?, ?)",
            (424242, "2026-01-12T10:00:00+00:00", "a", "A", "note"),
        )

    with pytest.raises(sqlite3.IntegrityError):
        await db.run(orphan_event)

    await db.run(lambda cx: conv_sql.set_meta(cx, "after", "yes"))
    assert await db.run(lambda cx: conv_sql.get_meta(cx, "after")) == "yes"
    assert await db.run(lambda cx: conv_sql.get_meta(cx, "k")) is None, "the failed transaction was rolled back"
    assert await db.run(lambda cx: count(cx, "ticket_events")) == 0


async def test_read_sees_the_last_commit_and_refuses_to_write(db: Database) -> None:
    await db.run(lambda cx: conv_sql.set_meta(cx, "k", "committed"))
    assert await db.read(lambda cx: conv_sql.get_meta(cx, "k")) == "committed"
    with pytest.raises(read_only_errors()):
        await db.read(lambda cx: conv_sql.set_meta(cx, "k", "written by a read"))
    assert await db.run(lambda cx: conv_sql.get_meta(cx, "k")) == "committed"
    await db.run(lambda cx: conv_sql.set_meta(cx, "k", "still writable"))


@sqlite_only
async def test_read_does_not_wait_for_another_writer(db: Database, tmp_path: Path) -> None:
    await db.run(lambda cx: conv_sql.set_meta(cx, "k", "before"))
    other = sqlite3.connect(db_path(tmp_path), isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("INSERT INTO meta (key, value) VALUES ('other', 'uncommitted')")
        assert await db.read(lambda cx: conv_sql.get_meta(cx, "k")) == "before"
        assert await db.read(lambda cx: conv_sql.get_meta(cx, "other")) is None
        await db.ping()
        other.execute("ROLLBACK")
    finally:
        other.close()


@sqlite_only
async def test_an_in_memory_database_reads_on_its_one_connection() -> None:
    memory = await open_db(":memory:")
    try:
        await memory.run(lambda cx: conv_sql.set_meta(cx, "k", "v"))
        assert await memory.read(lambda cx: conv_sql.get_meta(cx, "k")) == "v"
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            await memory.read(lambda cx: conv_sql.set_meta(cx, "k", "w"))
        await memory.run(lambda cx: conv_sql.set_meta(cx, "k", "w"))
        assert await memory.read(lambda cx: conv_sql.get_meta(cx, "k")) == "w"
    finally:
        await memory.close()


# --- tickets ---------------------------------------------------------------------------------------------------------


async def test_same_idempotency_key_creates_one_ticket(desk: Desk, db: Database) -> None:
    kicks: list[str] = []
    desk.on_outbox = lambda: kicks.append("kick")

    first = await desk.create_ticket("form-1", REQUESTER, FIELDS, notice)
    second = await desk.create_ticket("form-1", REQUESTER, FIELDS, notice)

    assert first.new is True
    assert second.new is False
    assert second.ticket == first.ticket
    assert await counts(db) == (1, 1, 2)  # one ticket, its "created" event, its two notices
    assert kicks == ["kick"]  # the sender is woken for the new ticket only


async def test_ticket_numbers_count_from_1001(desk: Desk) -> None:
    numbers = [(await desk.create_ticket(f"form-{i}", REQUESTER, FIELDS, notice)).ticket.number for i in range(3)]

    assert numbers == ["T-1001", "T-1002", "T-1003"]


async def test_created_ticket_holds_what_was_submitted(desk: Desk) -> None:
    ticket = (await desk.create_ticket("form-1", REQUESTER, FIELDS, notice)).ticket

    assert ticket.requester == REQUESTER
    assert ticket.fields == FIELDS
    assert ticket.status is Status.NEW
    assert ticket.created_at == NOW
    assert ticket.updated_by == "Megan Bowen"
    # Moderate from Monday 10:00: first response 4h -> 14:00; resolution 24h -> 7h Mon, 8h Tue, 8h Wed, 1h Thu.
    assert ticket.first_response_due == datetime(2026, 1, 12, 14, 0, tzinfo=UTC)
    assert ticket.resolution_due == datetime(2026, 1, 15, 10, 0, tzinfo=UTC)
    assert ticket.version == 1


async def test_notices_are_queued_in_the_ticket_transaction(desk: Desk, db: Database) -> None:
    ticket = (await desk.create_ticket("form-1", REQUESTER, FIELDS, notice)).ticket

    rows = await db.run(lambda cx: cx.all("SELECT conversation_key, ticket_id, card, status FROM outbox ORDER BY id"))
    assert rows == [
        {"conversation_key": "a:personal-megan", "ticket_id": None, "card": None, "status": "pending"},
        {"conversation_key": "19:triage", "ticket_id": ticket.id, "card": "triage", "status": "pending"},
    ]


async def test_failing_notices_callback_leaves_no_ticket_and_no_outbox_row(desk: Desk, db: Database) -> None:
    kicks: list[str] = []
    desk.on_outbox = lambda: kicks.append("kick")

    def broken(ticket: Ticket) -> list[Outgoing]:
        raise RuntimeError("template failed")

    with pytest.raises(RuntimeError, match="template failed"):
        await desk.create_ticket("form-1", REQUESTER, FIELDS, broken)

    assert await counts(db) == (0, 0, 0)
    assert kicks == []


async def test_failure_while_queueing_rolls_back_the_ticket_and_earlier_notices(desk: Desk, db: Database) -> None:
    def half_good(ticket: Ticket) -> list[Outgoing]:
        good = Outgoing("a:personal-megan", Operation.POST, {"type": "message", "text": "ok"})
        unstorable = Outgoing("19:triage", Operation.POST, {"type": "message", "value": object()})
        return [good, unstorable]  # the first row is inserted before the second fails to serialise

    with pytest.raises(TypeError):
        await desk.create_ticket("form-1", REQUESTER, FIELDS, half_good)

    assert await counts(db) == (0, 0, 0)
    # The key was not used up: the same submission can succeed afterwards, as the only ticket. (Its number may
    # skip the one the failed attempt drew: PostgreSQL's sequences do not roll back.)
    created = await desk.create_ticket("form-1", REQUESTER, FIELDS, notice)
    assert created.new
    assert await db.run(lambda cx: count(cx, "tickets")) == 1


async def test_tickets_survive_a_restart(db_url: str) -> None:
    first_db = await open_database(db_url)
    try:
        desk = Desk(first_db, POLICY, clock=lambda: NOW)
        created = (await desk.create_ticket("form-1", REQUESTER, FIELDS, notice)).ticket
    finally:
        await first_db.close()

    second_db = await open_database(db_url)
    try:
        desk = Desk(second_db, POLICY, clock=lambda: NOW + timedelta(hours=1))
        reloaded = await desk.ticket(created.id)
        repeat = await desk.create_ticket("form-1", REQUESTER, FIELDS, notice)
        mine = await desk.tickets_of(REQUESTER.tenant_id, REQUESTER.aad_id)
    finally:
        await second_db.close()

    assert reloaded == created
    assert repeat.new is False
    assert repeat.ticket.id == created.id
    assert [t.number for t in mine] == ["T-1001"]


# --- drafts ----------------------------------------------------------------------------------------------------------


async def test_drafts_store_and_keep_typed_fields(desk: Desk) -> None:
    draft = await desk.start_draft(MEGAN, {"title": "Outlook"})

    stored = await desk.draft(draft.id)
    assert stored == draft
    assert stored.fields == {"title": "Outlook"}
    assert stored.owner_aad_id == MEGAN.aad_id
    assert stored.ticket_id is None

    typed = {"title": "Outlook won't send", "description": "Zeile 1\nЗаметка 2 \U0001f600", "severity": "bogus"}
    await desk.keep_typed(draft.id, typed)
    assert (await desk.draft(draft.id)).fields == typed  # type: ignore[union-attr]

    ticket = (await desk.create_ticket("form-1", REQUESTER, FIELDS, notice, draft_id=draft.id)).ticket
    assert (await desk.draft(draft.id)).ticket_id == ticket.id  # type: ignore[union-attr]


async def test_unknown_draft_is_none(desk: Desk) -> None:
    assert await desk.draft("no-such-draft") is None


# --- bot state documents ---------------------------------------------------------------------------------------------


async def test_state_documents_honour_etags(db: Database) -> None:
    etag1 = await db.run(lambda cx: write_document(cx, "conv/1", '{"step": 1}', None, NOW))
    etag2 = await db.run(lambda cx: write_document(cx, "conv/1", '{"step": 2}', etag1, NOW))

    assert etag1 != etag2
    assert await db.run(lambda cx: read_documents(cx, ["conv/1", "conv/2"])) == {"conv/1": (etag2, '{"step": 2}')}

    with pytest.raises(StateConflict):
        await db.run(lambda cx: write_document(cx, "conv/1", '{"step": "stale"}', etag1, NOW))
    assert await db.run(lambda cx: read_documents(cx, ["conv/1"])) == {"conv/1": (etag2, '{"step": 2}')}

    etag3 = await db.run(lambda cx: write_document(cx, "conv/1", '{"step": 3}', "*", NOW))  # '*' overwrites anything
    assert etag3 not in (etag1, etag2)

    await db.run(lambda cx: delete_documents(cx, ["conv/1"]))
    assert await db.run(lambda cx: read_documents(cx, ["conv/1"])) == {}


# --- leases, inbound de-duplication ----------------------------------------------------------------------------------


async def test_leases(db: Database) -> None:
    ttl = timedelta(seconds=30)

    async def acquire(holder: str, seconds: float) -> bool:
        at = NOW + timedelta(seconds=seconds)
        return await db.run(lambda cx: conv_sql.acquire_lease(cx, "sender", holder, at, ttl))

    assert await acquire("a", 0)  # first holder gets it, until 30 s
    assert not await acquire("b", 10)  # refused while a's lease is valid
    assert await acquire("a", 20)  # the holder renews: now valid until 50 s
    assert not await acquire("b", 40)  # still refused: the renewal counts
    assert await acquire("b", 51)  # expired: b takes it over, until 81 s
    assert not await acquire("a", 60)  # and a is refused now


async def test_an_activity_is_a_redelivery_once_its_turn_completed_and_keeps_its_first_answer(desk: Desk) -> None:
    from desk.deliveries import RESPONSE_LIMIT, Delivered

    assert await desk.completed_delivery("activity-1") is None, "not completed: processed (again)"
    await desk.complete_delivery("activity-1", {"statusCode": 200, "value": "first"})
    await desk.complete_delivery("activity-1", {"statusCode": 200, "value": "second"})  # a copy that ran alongside
    assert await desk.completed_delivery("activity-1") == Delivered({"statusCode": 200, "value": "first"})
    await desk.complete_delivery("activity-2", None)  # a message: nothing to answer
    assert await desk.completed_delivery("activity-2") == Delivered(None)
    await desk.complete_delivery("activity-3", {"value": "x" * RESPONSE_LIMIT})  # too big to keep
    assert await desk.completed_delivery("activity-3") == Delivered(None)


async def test_a_turn_claims_its_activity_until_it_completes_dies_or_its_lease_runs_out(db: Database) -> None:
    from desk.deliveries import TURN_LEASE, Claim, ClaimState
    from desk.store import deliveries as delivery_sql
    from desk.store import instances as instance_sql

    async def claim(key: str, holder: str, mine_running: bool = False, seconds: float = 0) -> ClaimState:
        now = NOW + timedelta(seconds=seconds)
        found: Claim = await db.run(lambda cx: delivery_sql.claim(cx, key, holder, mine_running, now, now + TURN_LEASE))
        return found.state

    alive = NOW + 2 * TURN_LEASE  # both processes' heartbeats hold throughout: only the lease and the turn count
    await db.run(lambda cx: [instance_sql.beat(cx, holder, alive) for holder in ("one", "two", "three")])
    assert await claim("a-1", "one", seconds=0) is ClaimState.NEW
    assert await claim("a-1", "one", mine_running=True, seconds=15) is ClaimState.RUNNING, "Teams' copy, still running"
    assert await claim("a-1", "two", seconds=15) is ClaimState.RUNNING, "another instance, within the lease"
    assert await claim("a-1", "one", mine_running=False, seconds=16) is ClaimState.NEW, "ours, not running: it died"
    assert await claim("a-1", "two", seconds=16 + TURN_LEASE.total_seconds()) is ClaimState.NEW, "the lease ran out"
    await db.run(lambda cx: delivery_sql.complete(cx, "a-1", '{"value": "done"}', NOW))
    assert await claim("a-1", "three") is ClaimState.DONE

    assert await claim("a-2", "one") is ClaimState.NEW
    await db.run(lambda cx: delivery_sql.abandon(cx, "a-2", "one"))  # its turn failed
    assert await claim("a-2", "two") is ClaimState.NEW, "processed again"


async def test_a_claim_of_another_process_dies_with_its_heartbeat_before_its_lease_runs_out(db: Database) -> None:
    from desk.deliveries import TURN_LEASE, Claim, ClaimState
    from desk.store import deliveries as delivery_sql
    from desk.store import instances as instance_sql

    async def claim(key: str, holder: str, seconds: float) -> Claim:
        now = NOW + timedelta(seconds=seconds)
        return await db.run(lambda cx: delivery_sql.claim(cx, key, holder, False, now, now + TURN_LEASE))

    async def beat(holder: str, seconds: float) -> None:
        await db.run(lambda cx: instance_sql.beat(cx, holder, NOW + timedelta(seconds=seconds)))

    await beat("one", 10)  # one's heartbeat is valid for 10 s
    assert (await claim("a-1", "one", 0)).state is ClaimState.NEW
    assert await claim("a-1", "two", 9) == Claim(ClaimState.RUNNING, here=False), "one lives: its turn runs"
    assert (await claim("a-1", "two", 10)).state is ClaimState.NEW, "one's heartbeat lapsed: two takes the turn"
    assert (await claim("a-1", "one", 11)).state is ClaimState.NEW, "two has no heartbeat: it is dead too"
    await beat("one", 70)
    await db.run(lambda cx: instance_sql.retire(cx, "one"))  # one stopped, leaving its claim behind
    assert (await claim("a-1", "three", 12)).state is ClaimState.NEW, "a heartbeat removed: taken over at once"
    assert await db.run(lambda cx: instance_sql.alive(cx, "one", NOW)) is False


async def test_a_change_key_is_claimed_once(db: Database) -> None:
    from desk.store import deliveries as delivery_sql

    assert await db.run(lambda cx: delivery_sql.claim_change(cx, "activity-1#1", NOW)) is True
    assert await db.run(lambda cx: delivery_sql.claim_change(cx, "activity-1#1", NOW)) is False
    assert await db.run(lambda cx: delivery_sql.claim_change(cx, "activity-1#2", NOW)) is True


async def test_pruning_forgets_answers_after_an_hour_and_activities_after_two_days(db: Database) -> None:
    from desk.store import deliveries as delivery_sql

    def setup(cx: Cx) -> None:
        delivery_sql.complete(cx, "old", '{"value": 1}', NOW - timedelta(days=3))
        delivery_sql.complete(cx, "hour", '{"value": 2}', NOW - timedelta(hours=2))
        delivery_sql.complete(cx, "fresh", '{"value": 3}', NOW - timedelta(minutes=5))
        delivery_sql.claim_change(cx, "old#1", NOW - timedelta(days=3))
        delivery_sql.claim_change(cx, "hour#1", NOW - timedelta(hours=2))

    await db.run(setup)
    await db.run(lambda cx: conv_sql.prune_inbound(cx, NOW))
    kept = await db.run(lambda cx: cx.all("SELECT key, response FROM inbound_activities ORDER BY key"))
    assert kept == [{"key": "fresh", "response": '{"value": 3}'}, {"key": "hour", "response": None}]
    changes = await db.run(lambda cx: cx.all("SELECT key FROM inbound_changes"))
    assert changes == [{"key": "hour#1"}]


# --- technicians' token caches and key rotation ----------------------------------------------------------------------

OLD_KEY, NEW_KEY, OTHER_KEY = Fernet.generate_key(), Fernet.generate_key(), Fernet.generate_key()
ALEX = "a1b2c3d4-0000-4000-8000-000000000001"


async def stored_cache(db: Database) -> dict[str, str]:
    """The raw user_tokens row of ALEX."""
    row = await db.run(lambda cx: cx.one("SELECT cache, updated_at FROM user_tokens WHERE aad_id = ?", (ALEX,)))
    assert row is not None
    return dict(row)


async def test_a_cache_sealed_with_an_older_key_is_read_and_resealed_with_the_newest(desk: Desk, db: Database) -> None:
    desk.sealer = Sealer([OLD_KEY])
    await desk.save_token_cache(ALEX, "alex@contoso.example", '{"RefreshToken": {}}')
    before = await stored_cache(db)

    desk.sealer = Sealer([NEW_KEY, OLD_KEY])  # TOKEN_CACHE_KEY=new,old
    assert await desk.token_cache(ALEX) == ("alex@contoso.example", '{"RefreshToken": {}}')

    after = await stored_cache(db)
    assert after["cache"] != before["cache"]
    assert Sealer([NEW_KEY]).open(after["cache"]) == '{"RefreshToken": {}}'  # the old key can now be dropped
    assert Sealer([OLD_KEY]).open(after["cache"]) is None
    assert after["updated_at"] == before["updated_at"]  # re-sealing is not a sign-in: the order of sign-ins stays


async def test_a_cache_sealed_with_the_newest_key_is_not_rewritten_on_read(desk: Desk, db: Database) -> None:
    desk.sealer = Sealer([NEW_KEY, OLD_KEY])
    await desk.save_token_cache(ALEX, "alex@contoso.example", "cache")
    before = await stored_cache(db)

    assert await desk.token_cache(ALEX) == ("alex@contoso.example", "cache")
    assert await stored_cache(db) == before
    assert Sealer([NEW_KEY]).open(before["cache"]) == "cache"  # new caches are sealed with the first key


async def test_a_cache_sealed_with_a_key_no_longer_listed_reads_as_signed_out(desk: Desk) -> None:
    desk.sealer = Sealer([OTHER_KEY])
    await desk.save_token_cache(ALEX, "alex@contoso.example", "cache")

    desk.sealer = Sealer([NEW_KEY, OLD_KEY])
    assert await desk.token_cache(ALEX) is None


async def test_a_sign_in_started_before_a_rotation_still_completes(desk: Desk) -> None:
    desk.sealer = Sealer([OLD_KEY])
    pending = PendingSignIn("state-1", ALEX, {"code_verifier": "v"}, "19:triage", None, NOW)
    await desk.save_sign_in(pending)

    desk.sealer = Sealer([NEW_KEY, OLD_KEY])
    assert await desk.take_sign_in("state-1") == pending


# --- outbox ----------------------------------------------------------------------------------------------------------


async def test_outbox_heads_give_the_oldest_pending_message_per_conversation(db: Database) -> None:
    def message(conversation: str, text: str) -> Outgoing:
        return Outgoing(conversation, Operation.POST, {"type": "message", "text": text})

    await db.run(
        lambda cx: outbox_sql.enqueue(
            cx, [message("A", "a1"), message("A", "a2"), message("B", "b1"), message("A", "a3")], NOW
        )
    )

    async def heads(at: datetime, limit: int = 10) -> list[str]:
        return await db.run(lambda cx: [m.outgoing.activity["text"] for m in outbox_sql.heads(cx, at, limit)])

    assert await heads(NOW) == ["a1", "b1"]
    assert await heads(NOW, limit=1) == ["a1"]
    assert await heads(NOW - timedelta(seconds=1)) == []  # nothing is due before it was queued

    rows = await db.run(lambda cx: cx.all("SELECT id, activity FROM outbox"))
    ids = {json.loads(row["activity"])["text"]: row["id"] for row in rows}
    a1, a2, b1 = ids["a1"], ids["a2"], ids["b1"]
    await db.run(lambda cx: outbox_sql.mark_sent(cx, a1, "activity-a1", NOW))
    assert await heads(NOW) == ["a2", "b1"]

    # a2 must wait a minute: conversation A stalls behind it (a3 does not overtake), B goes on.
    await db.run(lambda cx: outbox_sql.mark_retry(cx, a2, NOW + timedelta(minutes=1), "HTTP 502"))
    assert await heads(NOW) == ["b1"]
    assert await heads(NOW + timedelta(minutes=1)) == ["b1", "a2"]  # ordered by due time
    assert await db.run(outbox_sql.next_due) == NOW

    # With B done, a3 (queued at NOW) is pending but not deliverable before a2: the next due time is a2's, or a
    # sender sleeping until next_due would wake at once, find no head, and spin until a2 is due.
    await db.run(lambda cx: outbox_sql.mark_sent(cx, b1, "activity-b1", NOW))
    assert await heads(NOW) == []
    assert await db.run(outbox_sql.next_due) == NOW + timedelta(minutes=1)

    await db.run(lambda cx: outbox_sql.mark_failed(cx, a2, "HTTP 400"))  # given up: a3 is next
    assert await heads(NOW) == ["a3"]
    assert await db.run(outbox_sql.pending_count) == 1


async def test_housekeeping_forgets_old_delivered_messages_and_abandoned_forms(tmp_path) -> None:
    from datetime import UTC, datetime, timedelta

    from desk.hours import BusinessHours
    from desk.outbox import Operation, Outgoing
    from desk.service import Desk
    from desk.sla import SlaPolicy
    from desk.store import outbox as outbox_sql
    from desk.store.drafts import Draft, insert_draft
    from desk.support import SlaTargets, parse_targets

    db = await open_test_database(tmp_path)
    now = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
    old = now - timedelta(days=31)
    targets = parse_targets("critical=1h,moderate=4h,minimal=8h")
    desk = Desk(db, SlaPolicy(BusinessHours.parse("24x7", "UTC"), SlaTargets(targets, targets)), lambda: now)

    def setup(cx) -> None:  # type: ignore[no-untyped-def]
        item = Outgoing("a:chat", Operation.POST, {"type": "message", "text": "x"})
        outbox_sql.enqueue(cx, [item, item, item], old)
        rows = cx.all("SELECT id FROM outbox ORDER BY id")
        outbox_sql.mark_sent(cx, rows[0]["id"], "1", old)
        outbox_sql.mark_sent(cx, rows[1]["id"], "2", now)
        outbox_sql.mark_failed(cx, rows[2]["id"], "refused")
        insert_draft(cx, Draft("old-form", "aad", "tenant", {}, None, old))
        insert_draft(cx, Draft("new-form", "aad", "tenant", {}, None, now))

    await db.run(setup)
    await desk.housekeeping()
    kept = await db.run(lambda cx: cx.all("SELECT activity_id, status FROM outbox ORDER BY id"))
    assert kept == [{"activity_id": "2", "status": "sent"}, {"activity_id": None, "status": "failed"}]
    drafts = await db.run(lambda cx: cx.all("SELECT id FROM drafts"))
    assert drafts == [{"id": "new-form"}]
    await db.close()
