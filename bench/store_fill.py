"""A desk's worth of tickets for `python -m bench.store`, written fast (executemany on SQLite, COPY on PostgreSQL)
but shaped like real ones: a few hundred customers of very different sizes, each with a handful of requesters;
titles and descriptions from support wording; two years of history of which a share is still open, at every stage
(new, assigned, answered, waiting on the customer with its clock paused, escalated), with SLA due times from the
desk's own policy and the alerts of past deadlines already sent, as a desk that has run for a while has them."""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from desk.clock import to_iso
from desk.sla import SlaPolicy
from desk.sla_watch import due_alerts
from desk.store.tickets import ticket_of_row
from desk.tickets import Severity, Status

BASES = (
    "Contoso", "Fabrikam", "Northwind", "Adventure Works", "Tailspin", "Woodgrove", "Litware", "Proseware",
    "Alpine Ski House", "Coho Winery", "Wide World Importers", "Blue Yonder", "Trey Research", "Lucerne Publishing",
    "Margie's Travel", "Fourth Coffee", "Graphic Design Institute", "Humongous Insurance", "Wingtip Toys",
    "Southridge Video", "City Power & Light", "Consolidated Messenger", "Datum", "VanArsdel", "Relecloud",
)  # fmt: skip
PLACES = ("Leeds", "York", "Bristol", "Dublin", "Oslo", "Lyon", "Porto", "Gdansk", "Tallinn", "Ghent", "Basel")
SUFFIXES = ("Ltd", "Inc.", "GmbH", "Group", "Holdings", "LLP", "AG", "SA")
FIRST = ("Megan", "Alex", "Nestor", "Diego", "Adele", "Lidia", "Isaiah", "Joni", "Lynne", "Patti", "Pradeep", "Irvin")
LAST = ("Bowen", "Wilber", "Wilke", "Siciliani", "Vance", "Holloway", "Langer", "Sherman", "Robbins", "Fernandez")
SERVICES = (
    ("microsoft365", "Exchange Online"), ("microsoft365", "Outlook"), ("microsoft365", "Teams"),
    ("microsoft365", "SharePoint Online"), ("microsoft365", "OneDrive"), ("microsoft365", "Intune"),
    ("azure", "Virtual Machines"), ("azure", "Entra ID"), ("azure", "Storage"), ("dynamics365", "Sales"),
    ("other", "Power BI"), ("other", "Licensing"),
)  # fmt: skip
PROBLEMS = (
    "keeps asking for the password", "cannot send mail", "calls drop after a minute", "files do not sync",
    "mailbox is full", "licence missing after renewal", "sign-in fails with MFA", "shared mailbox not visible",
    "meeting recordings missing", "device not enrolling", "VM will not start", "report refresh failing",
    "guest cannot open the site", "printer mapping lost", "slow to open attachments", "new starter account",
)  # fmt: skip
SENTENCES = (
    "Since {time} nobody in the {place} office can work normally.", "It started after this morning's update.",
    "We restarted the laptop and cleared the cache, no change.", "About {n} users are affected, mostly in sales.",
    "The error says access denied with code {code}.", "It works in the browser but not in the desktop app.",
    "Our director needs this fixed before the board meeting.", "Screenshot attached, the banner is red.",
    "It happened last week too and went away by itself.", "Phones on the guest wifi are fine.",
    "We changed nothing on our side as far as I know.", "Please call me on the number below when you can.",
    "The sync client shows a red cross on {n} files.", "Invoices from the supplier bounce back with 550 5.7.1.",
)  # fmt: skip
OPEN_MIX = (
    (Status.NEW, 25), (Status.TRIAGED, 20), (Status.IN_PROGRESS, 35), (Status.WAITING, 10), (Status.ESCALATED, 10)
)  # fmt: skip
TECHNICIANS = tuple(f"tech-{n:02d}" for n in range(20))
INSERTED = (
    "id", "number", "idempotency_key", "customer_tenant_id", "customer_name", "requester_aad_id", "requester_name",
    "requester_email", "requester_conversation", "product", "service", "severity", "title", "description",
    "contact", "status", "assignee_aad_id", "assignee_name", "created_at", "updated_at", "updated_by",
    "first_response_due", "resolution_due", "first_response_at", "resolved_at", "closed_at", "resolution",
    "sla_paused_at", "sla_paused_seconds", "version",
)  # fmt: skip


@dataclass(frozen=True)
class Customer:
    tenant_id: str
    name: str
    requesters: tuple[tuple[str, str, str], ...]  # aad id, name, e-mail


def customers(rng: random.Random, count: int) -> list[Customer]:
    """`count` customers with distinct names and their requesters."""
    made: dict[str, Customer] = {}
    while len(made) < count:
        name = f"{rng.choice(BASES)} {rng.choice(PLACES)} {rng.choice(SUFFIXES)}"
        tenant = f"{rng.getrandbits(128):032x}"
        people = tuple(
            (f"{rng.getrandbits(128):032x}", f"{rng.choice(FIRST)} {rng.choice(LAST)}", f"user{i}@{tenant[:8]}.example")
            for i in range(rng.randint(2, 8))
        )
        made.setdefault(name, Customer(tenant, name, people))
    return list(made.values())


def tickets(size: int, open_share: float, now: datetime, sla: SlaPolicy, seed: int = 13) -> Iterator[dict[str, Any]]:
    """`size` ticket rows (ids 1..size, in the order they were opened, as the desk numbers them), about `open_share`
    of them open (the most recent ones, mostly), as of `now`; the same for the same seed."""
    rng = random.Random(seed)
    clients = customers(rng, max(20, min(600, size // 150)))
    weights = [1 / (rank + 1) for rank in range(len(clients))]  # a few large customers, many small ones
    opened = []
    for _ in range(size):
        is_open = rng.random() < open_share
        age = timedelta(days=rng.uniform(0, 30) if is_open else rng.uniform(1, 730))
        opened.append((age, is_open))
    opened.sort(key=lambda pair: pair[0], reverse=True)
    for ticket_id, (age, is_open) in enumerate(opened, start=1):
        who = rng.choices(clients, weights)[0]
        yield _row(rng, ticket_id, who, now - age, is_open, now, sla)


def _row(
    rng: random.Random, ticket_id: int, who: Customer, created: datetime, is_open: bool, now: datetime, sla: SlaPolicy
) -> dict[str, Any]:
    aad, person, email = rng.choice(who.requesters)
    product, service = rng.choice(SERVICES)
    severity = rng.choices(list(Severity), (1, 5, 4))[0]
    status = rng.choices([s for s, _ in OPEN_MIX], [w for _, w in OPEN_MIX])[0] if is_open else None
    status = status or (Status.CLOSED if rng.random() < 0.9 else Status.RESOLVED)
    if is_open:
        response_due, resolution_due = sla.dues(created, severity)
    else:  # never read by the queue: wall-clock targets spare the business-hours arithmetic
        response_due, resolution_due = created + timedelta(hours=4), created + timedelta(days=3)
    answered = not is_open or (status is not Status.NEW and rng.random() < 0.85)
    assignee = rng.choice(TECHNICIANS) if status is not Status.NEW else None
    words = {"time": f"{rng.randint(7, 18):02d}:{rng.choice(('00', '15', '30', '45'))}", "place": rng.choice(PLACES)}
    words |= {"n": str(rng.randint(2, 400)), "code": f"0x{rng.getrandbits(16):04x}"}
    description = " ".join(s.format(**words) for s in rng.sample(SENTENCES, rng.randint(2, 5)))
    first_response = created + timedelta(minutes=rng.uniform(5, 240)) if answered else None
    done = created + timedelta(days=rng.uniform(0.1, 10)) if not is_open else None
    return {
        "id": ticket_id,
        "number": f"T-{1000 + ticket_id}",
        "idempotency_key": f"bench-{ticket_id}",
        "customer_tenant_id": who.tenant_id,
        "customer_name": who.name,
        "requester_aad_id": aad,
        "requester_name": person,
        "requester_email": email,
        "requester_conversation": f"a:personal-{aad}",
        "product": product,
        "service": service,
        "severity": severity.value,
        "title": f"{service} {rng.choice(PROBLEMS)}",
        "description": description,
        "contact": f"{email}, +44 113 496 {rng.randint(0, 9999):04d}",
        "status": status.value,
        "assignee_aad_id": assignee,
        "assignee_name": f"Technician {assignee[-2:]}" if assignee else None,
        "created_at": to_iso(created),
        "updated_at": to_iso(done or min(now, created + timedelta(hours=1))),
        "updated_by": person,
        "first_response_due": to_iso(response_due),
        "resolution_due": to_iso(resolution_due),
        "first_response_at": to_iso(first_response),
        "resolved_at": to_iso(done),
        "closed_at": to_iso(done) if status is Status.CLOSED else None,
        "resolution": "Fixed: see the notes." if done else None,
        "sla_paused_at": to_iso(now - timedelta(hours=rng.uniform(1, 48))) if status is Status.WAITING else None,
        "sla_paused_seconds": rng.choice((0, 0, 1800, 7200)),
        "version": 1,
    }


def sent_alerts(open_rows: list[dict[str, Any]], now: datetime, sla: SlaPolicy) -> list[tuple[Any, ...]]:
    """The alerts a running desk has sent by `now` for these open tickets (ticket id, kind, due, sent at): all but
    one in a hundred, which are left due for the SLA checks to find."""
    shaped = [ticket_of_row({**row, **dict.fromkeys(_ABSENT), "sr_notes_seen": 0}) for row in open_rows]
    alerts = due_alerts(shaped, now, sla)
    return [(a.ticket.id, a.kind, to_iso(a.due), to_iso(now)) for index, a in enumerate(alerts) if index % 100]


_ABSENT = (
    "triage_activity_id", "customer_card_activity_id", "rating", "rating_comment", "sr_id", "sr_status",
    "sr_vehicle", "sr_escalated_by", "triage_channel",
)  # fmt: skip


def _values(rows: Iterable[dict[str, Any]], open_rows: list[dict[str, Any]]) -> Iterator[list[Any]]:
    """Each row's INSERTED values; open rows are kept aside (their alerts are written after them)."""
    for row in rows:
        if row["status"] not in ("resolved", "closed"):
            open_rows.append(row)
        yield [row[column] for column in INSERTED]


def write_sqlite(path: str, rows: Iterable[dict[str, Any]], now: datetime, sla: SlaPolicy) -> int:
    """Insert the rows, and the alerts sent for them, into the desk's SQLite file (migrated) in one transaction;
    returns how many are open."""
    open_rows: list[dict[str, Any]] = []
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("BEGIN")
        marks = ", ".join("?" * len(INSERTED))
        insert = f"INSERT INTO tickets ({', '.join(INSERTED)}) VALUES ({marks})"
        connection.executemany(insert, _values(rows, open_rows))
        alerts = sent_alerts(open_rows, now, sla)
        connection.executemany("INSERT INTO sla_alerts (ticket_id, kind, due, sent_at) VALUES (?, ?, ?, ?)", alerts)
        connection.execute("COMMIT")
    finally:
        connection.close()
    return len(open_rows)


def write_postgres(url: str, rows: Iterable[dict[str, Any]], now: datetime, sla: SlaPolicy) -> int:
    """COPY the rows, and the alerts sent for them, into the desk's PostgreSQL schema (migrated), then do what
    autovacuum does after a load; returns how many are open."""
    import psycopg

    open_rows: list[dict[str, Any]] = []
    with psycopg.connect(url, autocommit=True) as connection:
        with connection.cursor() as cursor:
            with cursor.copy(f"COPY tickets ({', '.join(INSERTED)}) FROM STDIN") as copy:
                for values in _values(rows, open_rows):
                    copy.write_row(values)
            with cursor.copy("COPY sla_alerts (ticket_id, kind, due, sent_at) FROM STDIN") as copy:
                for alert in sent_alerts(open_rows, now, sla):
                    copy.write_row(alert)
        connection.execute("SELECT setval(pg_get_serial_sequence('tickets', 'id'), (SELECT MAX(id) FROM tickets))")
    with psycopg.connect(url, autocommit=True) as connection:
        # From a session that wrote nothing: in the loading one, VACUUM left every page not all-visible (no
        # index-only scans), which autovacuum would have set by the time anyone reads.
        connection.execute("VACUUM ANALYZE tickets")
        connection.execute("VACUUM ANALYZE sla_alerts")
    return len(open_rows)
