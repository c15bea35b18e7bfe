"""Before a service request is filed: does the partner's GDAP relationship with the customer allow it?

Partner Center files a Microsoft 365 or Dynamics 365 support request for a customer only when the partner holds,
through an active GDAP relationship, a role with microsoft.office365.supportTickets/allEntities/allTasks ("such as
Service support administrator": https://learn.microsoft.com/en-us/partner-center/gdap-least-privileged-roles-by-task).
When the relationship lacks one, has ended or does not exist, the technician is told which role is missing and
nothing is sent to Partner Center. When the relationships cannot be read (Graph down, the permission missing), the
filing goes ahead and the reason is logged: Partner Center remains the judge, and an outage of one Microsoft API
must not stop escalations during an outage of another."""

from __future__ import annotations

import logging

from bot.turns.actions import ActionResult
from bot.turns.turn import Turn
from desk.gdap import SERVICE_SUPPORT_ADMINISTRATOR, AccessState, customer_access, role_name
from desk.tickets import Ticket
from msapi.errors import MicrosoftApiError

logger = logging.getLogger(__name__)
REFUSALS = {
    AccessState.NO_SUPPORT_ROLE: "gdap.preflight_no_role",
    AccessState.ENDED: "gdap.preflight_ended",
    AccessState.NONE: "gdap.preflight_none",
}


async def gdap_preflight(turn: Turn, ticket: Ticket) -> ActionResult | None:
    """Why the service request must not be filed for `ticket`'s customer, or None to go ahead."""
    client = turn.services.gdap
    if client is None:
        return None
    tenant = ticket.requester.tenant_id
    try:
        relationships = await client.relationships()
    except MicrosoftApiError as error:
        logger.warning("GDAP pre-flight for %s skipped (relationships unreadable), filing: %s", ticket.number, error)
        return None
    access = customer_access(relationships, tenant, turn.services.clock())
    key = REFUSALS.get(access.state)
    if key is None:
        return None
    logger.info("GDAP pre-flight refused filing for %s: %s", ticket.number, access.state.value)
    customer = ticket.requester.customer_name or tenant
    role = role_name(SERVICE_SUPPORT_ADMINISTRATOR)
    return ActionResult(message=turn.t(key, number=ticket.number, customer=customer, role=role), refused=True)
