"""Message center per customer: reading each tenant's posts (bounded concurrency, a failure stays that tenant's),
ordering them for technicians, choosing what a customer and the weekly digest should hear about, the link to a
post, and the week a digest belongs to. The Graph client is passed in; nothing here imports it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from desk.customers import Customer
from msapi.errors import ConsentMissing, MicrosoftApiError

logger = logging.getLogger(__name__)
READ_CONCURRENCY = 8
# The weekly digest lists what needs action within this window; a customer's `changes`, what needs action or starts
# within CUSTOMER_WINDOW (long enough to plan for, short enough to stay a handful of lines).
DIGEST_WINDOW = timedelta(days=30)
CUSTOMER_WINDOW = timedelta(days=60)
# The digest is due every Monday at 09:00 in the partner's time zone. A desk that was down then sends it when it comes
# back, up to the end of Friday of that ISO week; from Saturday the week's digest is skipped (Monday's is near).
DIGEST_AT = time(9, 0)
DIGEST_LAST_WEEKDAY = 5  # ISO weekday: Friday
_LATEST = datetime.max.replace(tzinfo=UTC)


class MessageCenterReader(Protocol):
    """What the desk needs from Microsoft Graph's Message center."""

    async def message_center(self, tenant_id: str) -> list[Any]:
        """A tenant's posts (msapi.graph_models.MessageCenterItem)."""
        ...


@dataclass(frozen=True)
class TenantChanges:
    """One customer's Message center posts, or why they could not be read."""

    customer: Customer
    posts: list[Any] = field(default_factory=list)
    error: Exception | None = None

    @property
    def consent_missing(self) -> bool:
        """Whether the tenant refused for want of consent or of ServiceMessage.Read.All."""
        return isinstance(self.error, ConsentMissing)


async def read_changes(reader: MessageCenterReader, customer: Customer) -> TenantChanges:
    """One customer's posts; errors are returned in the result, never raised (one tenant never fails a digest)."""
    try:
        return TenantChanges(customer, list(await reader.message_center(customer.tenant_id)))
    except ConsentMissing as error:
        logger.warning("could not read the Message center of %s: %s", customer.name, error)
        return TenantChanges(customer, error=error)
    except MicrosoftApiError as error:
        logger.exception("could not read the Message center of %s", customer.name)
        return TenantChanges(customer, error=error)
    except Exception as error:
        logger.exception("bug while reading the Message center of %s", customer.name)
        return TenantChanges(customer, error=error)


async def read_all(reader: MessageCenterReader, customers: Sequence[Customer]) -> list[TenantChanges]:
    """Every customer's posts, READ_CONCURRENCY tenants at a time, in the customers' order."""
    limit = asyncio.Semaphore(READ_CONCURRENCY)

    async def one(customer: Customer) -> TenantChanges:
        async with limit:
            return await read_changes(reader, customer)

    return list(await asyncio.gather(*(one(customer) for customer in customers)))


def flagged(post: Any) -> bool:
    """A major change, or a post with an "action required by" date."""
    return bool(post.is_major_change or post.action_required_by is not None)


def ordered(posts: Sequence[Any]) -> list[Any]:
    """Major changes and posts with an action date first, soonest action first (major changes without a date after
    those with one, newest change first); then the rest, newest change first."""

    def changed(post: Any) -> float:
        return -(post.last_modified or datetime.min.replace(tzinfo=UTC)).timestamp()

    first = sorted((p for p in posts if flagged(p)), key=lambda p: (p.action_required_by or _LATEST, changed(p)))
    rest = sorted((p for p in posts if not flagged(p)), key=changed)
    return first + rest


def needs_action(posts: Sequence[Any], now: datetime, window: timedelta = DIGEST_WINDOW) -> list[Any]:
    """Posts whose action date falls from `now` to `now + window`, soonest first."""
    due = [p for p in posts if p.action_required_by is not None and now <= p.action_required_by <= now + window]
    return sorted(due, key=lambda p: (p.action_required_by, p.id))


def customer_date(post: Any, now: datetime, window: timedelta = CUSTOMER_WINDOW) -> tuple[str, datetime] | None:
    """What a customer hears about a post: ("act", date) when its action date is within the window, else
    ("starts", date) when it starts within the window; None otherwise."""
    if post.action_required_by is not None and now <= post.action_required_by <= now + window:
        return "act", post.action_required_by
    if post.start is not None and now <= post.start <= now + window:
        return "starts", post.start
    return None


def upcoming_for_customer(posts: Sequence[Any], now: datetime) -> list[tuple[Any, str, datetime]]:
    """(post, "act" | "starts", date) for the posts a customer should hear about, soonest first."""
    found = [(post, *when) for post in posts if (when := customer_date(post, now)) is not None]
    return sorted(found, key=lambda item: (item[2], item[0].id))


def post_url(admin_center: str, post_id: str) -> str:
    """The post in the Microsoft 365 admin center's Message center, in the form Microsoft's own pages link to
    (e.g. https://admin.microsoft.com/AdminPortal/Home#/MessageCenter/:/messages/MC334280 in the Teams admin docs);
    `admin_center` is the cloud's (desk.clouds: admin.microsoft.com, or portal.office365.us for US Government)."""
    return f"{admin_center}/AdminPortal/Home#/MessageCenter/:/messages/{post_id}"


def digest_week(now: datetime, zone: ZoneInfo) -> str | None:
    """The ISO week ("2026-W49") whose digest is due at `now`, or None: from Monday DIGEST_AT local time up to the end
    of Friday of that week."""
    local = now.astimezone(zone)
    year, week, weekday = local.isocalendar()
    monday = local.date() - timedelta(days=weekday - 1)
    if local < datetime.combine(monday, DIGEST_AT, tzinfo=zone) or weekday > DIGEST_LAST_WEEKDAY:
        return None
    return f"{year}-W{week:02d}"
