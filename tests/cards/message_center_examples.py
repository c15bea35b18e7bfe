"""Example Message center cards (helper, not a test): a customer's posts, the digest, a customer's own view, the
largest each can get (every list capped to fit Teams' size limit)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from cards.message_center import changes_card, customer_changes_card, digest_card
from desk.customers import Customer
from desk.message_center import TenantChanges
from msapi.errors import ConsentMissing
from msapi.graph_models import MessageCenterItem

NOW = datetime(2025, 3, 14, 15, 30, tzinfo=UTC)
ADMIN = "https://admin.microsoft.com"
CUSTOMER_ADMIN = f"{ADMIN}/Partner/BeginClientSession.aspx?CTID=t1&CSDEST=o365admincenter"
WIDE = "Ж😀"  # two-byte and four-byte UTF-8


def post(n: int, title: str = "", services: int = 1, **fields: Any) -> MessageCenterItem:
    """A post; `title` and `services` make it as large as needed."""
    return MessageCenterItem(
        id=f"MC{700000 + n}",
        title=title or f"Exchange Online: change {n}",
        category="PlanForChange",
        severity="High",
        services=tuple(f"Service {s} " + WIDE * 20 for s in range(services)),
        action_required_by=fields.pop("action_required_by", NOW + timedelta(days=1 + n % 29)),
        last_modified=NOW - timedelta(hours=n),
        is_major_change=n % 2 == 0,
        **fields,
    )


def customer(n: int) -> Customer:
    """A customer with a long name."""
    return Customer(tenant_id=f"t{n}", name=f"Customer {n} " + WIDE * 30, domains=(f"c{n}.example",))


def examples() -> list[tuple[str, Any]]:
    """(id, build(t)) for the Example list of tests/cards/examples.py."""
    few = TenantChanges(customer(1), [post(n) for n in range(4)])
    huge = TenantChanges(customer(2), [post(n, WIDE * 200, services=12) for n in range(1000)])
    refused = TenantChanges(customer(3), error=ConsentMissing(tenant_id="t3", permission="ServiceMessage.Read.All"))
    many = [TenantChanges(customer(n), [post(k, WIDE * 200, services=6) for k in range(40)]) for n in range(300)]
    many += [TenantChanges(customer(1000 + n), error=RuntimeError("down")) for n in range(60)]
    upcoming = [(post(n), "act" if n % 2 else "starts", NOW + timedelta(days=n)) for n in range(3)]
    long_upcoming = [(post(n, WIDE * 200), "act", NOW + timedelta(days=n)) for n in range(200)]
    return [
        ("changes-few", lambda t: changes_card(t, few, ADMIN, CUSTOMER_ADMIN, None)),
        ("changes-none", lambda t: changes_card(t, TenantChanges(customer(1)), ADMIN, CUSTOMER_ADMIN, None)),
        ("changes-refused", lambda t: changes_card(t, refused, ADMIN, CUSTOMER_ADMIN, "No consent.")),
        ("changes-largest", lambda t: changes_card(t, huge, ADMIN, CUSTOMER_ADMIN, None)),
        ("digest-few", lambda t: digest_card(t, [few, refused], NOW, ADMIN, {"t3": "No consent."})),
        ("digest-nothing", lambda t: digest_card(t, [TenantChanges(customer(1))], NOW, ADMIN, {})),
        ("digest-largest", lambda t: digest_card(t, many, NOW, ADMIN, {})),
        ("customer-changes", lambda t: customer_changes_card(t, upcoming, "Contoso IT", None)),
        ("customer-changes-none", lambda t: customer_changes_card(t, [], "Contoso IT", None)),
        ("customer-changes-largest", lambda t: customer_changes_card(t, long_upcoming, "Contoso IT", None)),
    ]
