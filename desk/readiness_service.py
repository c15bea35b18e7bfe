"""One customer's readiness checked live and stored (the last state per customer, what `customers` shows), and the
weekly check's record of the state it compared against, so each worsening is posted once (docs/onboarding.md)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from desk.clock import Clock
from desk.customers import Customer, CustomerDirectory
from desk.outbox import Outgoing
from desk.readiness import Line, State, Status, got_worse, state_of
from desk.readiness_check import consent_lines, gdap_lines, partner_center_lines
from desk.readiness_teams import catalog_line, installed_line, talked_line
from desk.service_base import DeskBase
from desk.store import outbox as outbox_sql
from desk.store import readiness as sql
from desk.store.database import Cx
from msapi.directory import DirectoryClient
from msapi.errors import MicrosoftApiError
from msapi.gdap import GdapClient, Relationship
from msapi.graph import GraphClient
from msapi.teams_apps import TeamsAppsClient
from msapi.tokens import TokenProvider

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Probe:
    """What a readiness check reads: Partner Center, GDAP (partner tenant), Graph in the customer's tenant."""

    customers: CustomerDirectory
    gdap: GdapClient | None
    tokens: TokenProvider
    graph: GraphClient
    teams: TeamsAppsClient
    directory: DirectoryClient
    manifest_id: str  # the desk's Teams app id (the catalog's externalId)
    app_id: str  # the partner's Entra app (what the customer consents to)
    desk: DeskBase
    clock: Clock


@dataclass(frozen=True)
class Readiness:
    """One customer's checklist and what it adds up to."""

    tenant_id: str
    name: str
    lines: tuple[Line, ...]
    checked_at: datetime

    @property
    def state(self) -> State:
        """ready, partial or blocked."""
        return state_of(self.lines)

    @property
    def known_state(self) -> State:
        """The state from the lines that could be checked: what the weekly check compares week to week, so a
        Microsoft outage on the day of the check is not posted as the customer getting worse."""
        return state_of(line for line in self.lines if line.status is not Status.UNKNOWN)


async def relationships_of(probe: Probe) -> Sequence[Relationship] | None:
    """The partner's GDAP relationships, None when they cannot be read."""
    if probe.gdap is None:
        return None
    try:
        return await probe.gdap.relationships()
    except MicrosoftApiError as error:
        logger.warning("readiness: GDAP relationships could not be read: %s", error)
        return None


async def check(probe: Probe, tenant_id: str, relationships: Sequence[Relationship] | None = None) -> Readiness:
    """Every line for the customer `tenant_id`, checked now (`relationships`: already read for many customers)."""
    tenant_id = tenant_id.lower()
    lines: list[Line] = []
    customer: Customer | None = None
    try:
        customer = await probe.customers.by_tenant(tenant_id)
        lines += partner_center_lines(customer, tenant_id)
    except MicrosoftApiError as error:
        logger.warning("readiness: customer list unavailable: %s", error)
        lines.append(Line("partner_center", Status.UNKNOWN, "readiness.pc.unknown"))
    name = customer.name if customer is not None else tenant_id
    now = probe.clock()
    lines += gdap_lines(relationships if relationships is not None else await relationships_of(probe), tenant_id, now)
    lines += await consent_lines(probe.tokens, probe.graph, tenant_id, probe.app_id)
    catalog, app = await catalog_line(probe.teams, tenant_id, probe.manifest_id)
    lines += [catalog, await installed_line(probe.teams, probe.directory, tenant_id, app, name)]
    lines.append(talked_line(await probe.desk.db.run(lambda cx: sql.people_talked(cx, tenant_id)), name))
    return Readiness(tenant_id, name, tuple(lines), probe.clock())


async def save(desk: DeskBase, readiness: Readiness) -> None:
    """Store the state found (what `customers` shows)."""
    state = readiness.state.value
    await desk.db.run(lambda cx: sql.save_state(cx, readiness.tenant_id, state, readiness.checked_at))


async def stored_states(desk: DeskBase) -> dict[str, State]:
    """tenant id -> the last state stored."""
    found = await desk.db.run(sql.states)
    return {tenant: State(state) for tenant, state in found.items()}


async def weeks_checked(desk: DeskBase) -> dict[str, str]:
    """tenant id -> the ISO week the weekly check last did it."""
    return await desk.db.run(sql.checked_weeks)


async def record_weekly(
    desk: DeskBase, readiness: Readiness, week: str, messages: Callable[[State], list[Outgoing]]
) -> bool:
    """Record the weekly check of one customer; when its known state (lines that could be checked) got worse since
    the last weekly check, queue the messages in the same transaction. True when something was queued (False also
    when `week` was done already)."""
    state, known = readiness.state, readiness.known_state
    uncertain = any(line.status is Status.UNKNOWN for line in readiness.lines)

    def compared(before: str | None) -> str:
        # What next week compares with. With lines unchecked the known state may look better than it is (a blocking
        # line not checked): then the previous state stands unless this one is worse.
        if not uncertain or before is None or got_worse(State(before), known):
            return known.value
        return before

    def work(cx: Cx) -> bool:
        before = sql.record_weekly(cx, readiness.tenant_id, state.value, compared, week, readiness.checked_at)
        if not isinstance(before, str) or not got_worse(State(before), known):
            return False
        outbox_sql.enqueue(cx, messages(State(before)), readiness.checked_at)
        return True

    posted = await desk.db.run(work)  # `work` only writes the database: safe to re-run on a serialization retry
    if posted:
        desk.on_outbox()
    return posted
