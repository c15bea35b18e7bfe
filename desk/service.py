"""The desk's use cases over the store, one transaction each: tickets, the directory, the watchers' records,
sign-ins and escalations."""

from __future__ import annotations

from desk.access_service import AccessService
from desk.directory_service import TRIAGE_CHANNEL_KEY, DirectoryService
from desk.escalation_service import EscalationService
from desk.incident_service import IncidentService
from desk.ms_response_service import ResponseClockService
from desk.queue_service import QueueService
from desk.rollout_book import RolloutService
from desk.routing_service import RoutingService
from desk.storm_service import StormService
from desk.ticket_service import Announce, Created, Notices, TicketService
from desk.watch_service import WatchService

__all__ = ["TRIAGE_CHANNEL_KEY", "Announce", "Created", "Desk", "Notices"]


class Desk(
    TicketService,
    QueueService,
    DirectoryService,
    WatchService,
    AccessService,
    EscalationService,
    ResponseClockService,
    RoutingService,
    IncidentService,
    StormService,
    RolloutService,
):
    """Everything the bot asks of the desk."""
