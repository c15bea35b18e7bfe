"""Example inputs for the card builders, and every card they can produce (helper, not a test)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from cards.actions import execute
from cards.messages import message_card, reply_card, resolution_card, thanks_card, thread_card
from cards.queue import queue_card
from cards.tickets import offer_card, status_card, ticket_form, ticket_list
from cards.triage import triage_card
from cards.triage_actions import assignment_actions, history_block, refresh_block, technician_actions
from cards.welcome import welcome_card
from desk.hours import BusinessHours
from desk.i18n import Translator
from desk.store.events import Event
from desk.support import SupportProfile
from desk.tickets import FIELDS, LIMITS, MESSAGE_LIMIT, Product, Requester, Severity, Status, Ticket, TicketFields
from tests.cards.kb_examples import examples as kb_examples
from tests.cards.message_center_examples import examples as message_center_examples
from tests.cards.rollout_examples import examples as rollout_examples

# Every locale the desk speaks; the same cards are built in each (languages without a catalog fall back to English).
LOCALES = ("en-US", "ru-RU")
NOW = datetime(2025, 3, 14, 15, 30, tzinfo=UTC)
CREATED = NOW - timedelta(hours=27, minutes=5)

Card = dict[str, Any]
Builder = Callable[[Translator], Card]


@dataclass(frozen=True)
class Example:
    """One card a builder can produce: a readable id and how to build it for a translator."""

    id: str
    build: Builder


REQUESTER = Requester(
    tenant_id="11111111-2222-3333-4444-555555555555",
    customer_name="Fabrikam, Inc.",
    aad_id="aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
    name="Megan Bowen",
    email="megan@fabrikam.example",
    conversation_key="a:1customer-chat",
)
FIELDS_EXAMPLE = TicketFields(
    product=Product.M365,
    service="Exchange Online",
    severity=Severity.MODERATE,
    title="Mail stuck in outbox",
    description="Since this morning nobody in Sales can send mail.\nOWA shows 'queued'.",
    contact="+1 555 0100, mornings",
)
FORM_VALUES = {
    "product": Product.AZURE.value,
    "service": "Azure VM",
    "severity": Severity.CRITICAL.value,
    "title": "Production VM unreachable",
    "description": "vm-prod-01 stopped answering at 09:12.",
    "contact": "ops@fabrikam.example",
}


def make_ticket(**changes: Any) -> Ticket:
    """A stored ticket (timezone-aware times); `changes` override any field, `fields=` the typed fields."""
    ticket = Ticket(
        id=7,
        number="T-1007",
        requester=REQUESTER,
        fields=FIELDS_EXAMPLE,
        status=Status.NEW,
        created_at=CREATED,
        updated_at=CREATED + timedelta(minutes=3),
        updated_by=REQUESTER.name,
        first_response_due=CREATED + timedelta(hours=4),
        resolution_due=CREATED + timedelta(hours=24),
    )
    return replace(ticket, **changes)


def make_fields(**changes: Any) -> TicketFields:
    """Ticket fields with `changes` applied."""
    return replace(FIELDS_EXAMPLE, **changes)


def make_profile(full: bool) -> SupportProfile:
    """The partner's support terms: everything filled in, or only the required parts."""
    hours = BusinessHours.parse("Mon-Fri 09:00-17:00", "Europe/Berlin")
    if not full:
        return SupportProfile(partner_name="Contoso IT", hours_text="Mon-Fri 09:00-17:00", hours=hours)
    return SupportProfile(
        partner_name="Contoso IT",
        hours_text="Mon-Fri 09:00-17:00",
        hours=hours,
        email="support@contoso.example",
        phone="+49 30 1234567",
        website="https://support.contoso.example",
        pricing="Included in your CSP plan; after-hours work at EUR 120/h.",
        emergency_contact="+49 170 0000000 (24x7)",
        contact_methods=("teams", "email", "phone", "website"),
    )


def commands(t: Translator, is_customer: bool) -> list[tuple[str, str]]:
    """The (command, description) pairs `help` lists for a role."""
    if is_customer:
        return [
            ("help", t("command.help")),
            ("new ticket", t("command.new_ticket")),
            ("my tickets", t("command.my_tickets")),
        ]
    return [("help", t("command.help")), ("triage here", t("command.triage_here"))]


TECHNICIANS = [("tech-1", "Alex Wilber"), ("tech-2", "Adele Vance")]
REFRESH_IDS = ["29:technician-1", "29:technician-2"]
EVENT_KINDS = (
    "created",
    "assigned",
    "status",
    "severity",
    "reply",
    "note",
    "resolved",
    "reopened",
    "rejected",
    "confirmed",
    "customer_message",
    "rated",
    "unreachable",
)


def make_event(kind: str, minutes: int = 0, text: str | None = None, actor: str = "Alex Wilber") -> Event:
    """One audit event of `kind`, with the values that kind records."""
    old, new = {
        "assigned": ("", "Alex Wilber"),
        "status": (Status.NEW.value, Status.IN_PROGRESS.value),
        "severity": (Severity.MODERATE.value, Severity.CRITICAL.value),
        "rated": (None, "4"),
    }.get(kind, (None, None))
    if text is None and kind in {"reply", "note", "resolved", "customer_message", "rated", "rejected"}:
        text = f"Text of the {kind} event."
    return Event(
        ticket_id=7,
        at=CREATED + timedelta(minutes=minutes),
        actor_aad_id="aad-1",
        actor_name=actor,
        kind=kind,
        old_value=old,
        new_value=new,
        text=text,
    )


def make_events(count: int = len(EVENT_KINDS)) -> list[Event]:
    """`count` events cycling through every kind."""
    return [make_event(EVENT_KINDS[index % len(EVENT_KINDS)], index) for index in range(count)]


def _welcome() -> list[Example]:
    examples = []
    for is_customer in (True, False):
        role = "customer" if is_customer else "technician"
        for full in (True, False):
            detail = "full" if full else "bare"

            def build(t: Translator, is_customer: bool = is_customer, full: bool = full) -> Card:
                return welcome_card(t, make_profile(full), commands(t, is_customer), is_customer, is_customer)

            examples.append(Example(f"welcome-{role}-{detail}", build))
    return examples


def _form() -> list[Example]:
    examples = [
        Example("form-empty", lambda t: ticket_form(t, "d1", {})),
        Example("form-prefilled", lambda t: ticket_form(t, "d1", FORM_VALUES)),
        Example("form-all-required", lambda t: ticket_form(t, "d1", {}, dict.fromkeys(FIELDS, "required"))),
    ]
    cases = [(field, "required") for field in FIELDS]
    cases += [(field, "too_long") for field in LIMITS]
    cases += [(field, "invalid_choice") for field in ("product", "severity")]
    for field, code in cases:
        values = dict(FORM_VALUES)
        if code == "required":
            values[field] = ""
        elif code == "too_long":
            values[field] = "x" * (LIMITS[field] + 1)
        else:
            values[field] = "not-a-choice"

        def build(t: Translator, values: dict[str, str] = values, field: str = field, code: str = code) -> Card:
            return ticket_form(t, "d1", values, {field: code})

        examples.append(Example(f"form-{field}-{code}", build))
    return examples


def _status() -> list[Example]:
    examples = []
    for status in Status:
        variants: dict[str, dict[str, Any]] = {
            "plain": {},
            "assigned": {"assignee_id": "tech-1", "assignee_name": "Alex Wilber"},
            "responded": {"first_response_at": CREATED + timedelta(minutes=40)},
            "assigned-responded": {
                "assignee_id": "tech-1",
                "assignee_name": "Alex Wilber",
                "first_response_at": CREATED + timedelta(minutes=40),
            },
            "no-dues": {"first_response_due": None, "resolution_due": None},
        }
        for name, changes in variants.items():
            ticket = make_ticket(status=status, **changes)

            def build(t: Translator, ticket: Ticket = ticket) -> Card:
                return status_card(t, ticket, t("created.message", number=ticket.number, due="-"))

            examples.append(Example(f"status-{status.value}-{name}", build))
    return examples


def _list() -> list[Example]:
    tickets = [
        make_ticket(id=9, number="T-1009", status=Status.IN_PROGRESS, fields=make_fields(severity=Severity.CRITICAL)),
        make_ticket(id=8, number="T-1008", status=Status.WAITING, fields=make_fields(title="t" * 200)),
        make_ticket(id=7, number="T-1007", status=Status.CLOSED, fields=make_fields(product=Product.OTHER)),
    ]
    return [
        Example("list-empty", lambda t: ticket_list(t, t("list.mine"), [], NOW)),
        Example("list-one", lambda t: ticket_list(t, t("list.mine"), tickets[:1], NOW)),
        Example("list-several", lambda t: ticket_list(t, t("list.mine"), tickets, NOW)),
    ]


def _offer() -> list[Example]:
    return [
        Example("offer-short", lambda t: offer_card(t, "d2", "Outlook keeps asking for my password")),
        Example("offer-long", lambda t: offer_card(t, "d2", "word " * 300)),
    ]


def _triage() -> list[Example]:
    examples = []
    for severity in Severity:
        for status in Status:
            ticket = make_ticket(status=status, fields=make_fields(severity=severity))
            variants: dict[str, Callable[[Translator], dict[str, Any]]] = {
                "bare": lambda t: {},
                "actions": lambda t, ticket=ticket: {
                    "actions": technician_actions(t, ticket),
                    "assignment": assignment_actions(t, ticket, TECHNICIANS, "tech-3"),
                },
                "refresh": lambda t, ticket=ticket: {"refresh": refresh_block(ticket, REFRESH_IDS)},
                "extra": lambda t: {"extra": history_block(t, make_events())},
                "everything": lambda t, ticket=ticket: {
                    "actions": technician_actions(t, ticket),
                    "assignment": assignment_actions(t, ticket, TECHNICIANS, "tech-1"),
                    "refresh": refresh_block(ticket, REFRESH_IDS),
                    "extra": history_block(t, make_events(40)),
                },
            }
            for name, options in variants.items():

                def build(t: Translator, ticket: Ticket = ticket, options: Callable[..., Any] = options) -> Card:
                    return triage_card(t, ticket, NOW, **options(t))

                examples.append(Example(f"triage-{severity.value}-{status.value}-{name}", build))
    assigned = make_ticket(
        status=Status.IN_PROGRESS,
        assignee_id="tech-1",
        assignee_name="Alex Wilber",
        first_response_at=CREATED + timedelta(minutes=40),
        updated_by="Alex Wilber",
    )
    no_email = make_ticket(requester=replace(REQUESTER, email=""), first_response_due=None, resolution_due=None)
    examples += [
        Example("triage-assigned-responded", lambda t: triage_card(t, assigned, NOW)),
        Example(
            "triage-assigned-sole-technician",
            lambda t: triage_card(
                t,
                assigned,
                NOW,
                technician_actions(t, assigned),
                assignment=assignment_actions(t, assigned, TECHNICIANS[:1], "tech-1"),
            ),
        ),
        Example("triage-no-technicians", lambda t: triage_card(t, assigned, NOW, technician_actions(t, assigned))),
        Example("triage-no-email-no-dues", lambda t: triage_card(t, no_email, NOW)),
        Example("triage-brand-new", lambda t: triage_card(t, make_ticket(), CREATED)),
        Example("triage-empty-history", lambda t: triage_card(t, make_ticket(), NOW, extra=history_block(t, []))),
    ]
    return examples


def _messages() -> list[Example]:
    resolved = make_ticket(status=Status.RESOLVED, resolution="Re-created the mail flow connector.")
    examples = [
        Example("message-heading", lambda t: message_card("Heads up")),
        Example(
            "message-everything",
            lambda t: message_card(
                "Heads up",
                "Literal text",
                subtitle="Subtitle",
                extra=[{"type": "TextBlock", "text": "More", "wrap": True}],
                actions=[execute(t("action.help"), "help.show")],
            ),
        ),
        Example("message-reply", lambda t: reply_card(t, resolved, "Alex Wilber", "Contoso IT", "Please restart.")),
        Example("message-resolution", lambda t: resolution_card(t, resolved)),
        Example("message-resolution-no-summary", lambda t: resolution_card(t, replace(resolved, resolution=None))),
        Example(
            "message-history",
            lambda t: message_card(
                t("history.title", number="T-1007"), extra=history_block(t, make_events(30), limit=100)
            ),
        ),
    ]
    for key in ("resolution.thanks_closed", "resolution.thanks_reopened", "resolution.thanks_rating"):
        examples.append(
            Example(
                f"message-thanks-{key.rsplit('_', 1)[1]}",
                lambda t, key=key: thanks_card(t, resolved, t(key, number="T-1007")),
            )
        )
    threads = {
        "thread.assigned": {"name": "Adele Vance"},
        "thread.severity": {"old": "Moderate", "new": "Critical"},
        "thread.status": {"old": "New", "new": "In progress"},
        "thread.reopened": {"old": "Resolved", "new": "In progress"},
        "thread.rejected": {},
        "thread.confirmed": {},
        "thread.reply": {},
        "thread.note": {},
        "thread.resolved": {},
        "thread.customer_message": {},
        "thread.rated": {"score": 4},
    }
    for key, values in threads.items():
        for text in (None, "What was typed, shown literally."):

            def build(t: Translator, key: str = key, values: dict[str, Any] = values, text: str | None = text) -> Card:
                return thread_card(t(key, actor="Megan Bowen", **values), text)

            examples.append(Example(f"message-{key.replace('.', '-')}{'-text' if text else ''}", build))
    return examples


def _queue() -> list[Example]:
    tickets = [
        make_ticket(id=1, number="T-1001", first_response_due=NOW - timedelta(hours=1), triage_activity_id="a1"),
        make_ticket(id=2, number="T-1002", status=Status.IN_PROGRESS, assignee_name="Alex Wilber"),
        make_ticket(id=3, number="T-1003", status=Status.CLOSED, triage_activity_id="a3"),
        make_ticket(id=4, number="T-1004", first_response_due=None, resolution_due=None),
    ]
    return [
        Example("queue-empty", lambda t: queue_card(t, t("queue.heading", count=0), [], NOW)),
        Example("queue-several", lambda t: queue_card(t, t("queue.heading", count=4), tickets, NOW)),
    ]


def _largest() -> list[Example]:
    """Every typed field at its length limit in 4-byte characters: the biggest cards the inputs allow."""
    widest = "🚀"
    fields = make_fields(**{name: widest * limit for name, limit in LIMITS.items()})
    ticket = make_ticket(fields=fields, assignee_name="Alex Wilber", resolution=widest * MESSAGE_LIMIT)
    values = {name: widest * LIMITS.get(name, 0) or FORM_VALUES[name] for name in FIELDS}
    refresh = refresh_block(ticket, [f"29:technician-{number}" for number in range(60)])
    # The queue shows 25 rows; with wide characters in every title it does not fit (see test_cards_valid).
    ascii_ticket = make_ticket(fields=make_fields(title="x" * LIMITS["title"]), assignee_name="Alex Wilber")
    return [
        Example(
            "largest-triage",
            lambda t: triage_card(
                t,
                ticket,
                NOW,
                technician_actions(t, ticket),
                refresh,
                assignment=assignment_actions(t, ticket, TECHNICIANS, "tech-3"),
            ),
        ),
        Example("largest-status", lambda t: status_card(t, ticket, t("created.already", number=ticket.number))),
        Example("largest-form", lambda t: ticket_form(t, "d1", values, dict.fromkeys(LIMITS, "too_long"))),
        Example("largest-offer", lambda t: offer_card(t, "d2", widest * 10_000)),
        Example("largest-list", lambda t: ticket_list(t, t("list.mine"), [ticket] * 20, NOW)),
        Example("largest-queue", lambda t: queue_card(t, t("queue.heading", count=25), [ascii_ticket] * 25, NOW)),
        Example("largest-reply", lambda t: reply_card(t, ticket, "Alex Wilber", "Contoso IT", widest * MESSAGE_LIMIT)),
        Example("largest-resolution", lambda t: resolution_card(t, ticket)),
        Example(
            "largest-thread", lambda t: thread_card(t("thread.reply", actor="Alex Wilber"), widest * MESSAGE_LIMIT)
        ),
    ]


EXAMPLES: list[Example] = [
    *_welcome(),
    *_form(),
    *_status(),
    *_list(),
    *_offer(),
    *_triage(),
    *_messages(),
    *_queue(),
    *_largest(),
    *(Example(name, build) for name, build in message_center_examples()),
    *(Example(name, build) for name, build in kb_examples()),
    *(Example(name, build) for name, build in rollout_examples()),
]
