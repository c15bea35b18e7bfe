"""The services a handler may use, built once at start-up and handed to every turn."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from desk.clock import Clock
from desk.customers import CustomerDirectory
from desk.health import HealthBoard
from desk.service import Desk
from desk.settings import Settings

if TYPE_CHECKING:
    from bot.features.sign_ins import SignIns
    from bot.jobs.spawner import Spawner
    from bot.outbox.sender import OutboxSender
    from bot.turns.commands import CommandRouter
    from bot.turns.identity import WhoIsWho
    from dialogs.runner import DialogRunner
    from msapi.graph import GraphClient
    from msapi.partner_center import PartnerCenterClient


@dataclass
class Services:
    """Everything a feature handler may call."""

    settings: Settings
    desk: Desk
    customers: CustomerDirectory
    sender: OutboxSender
    commands: CommandRouter
    clock: Clock
    who: WhoIsWho
    dialogs: DialogRunner
    spawner: Spawner
    partner_center: PartnerCenterClient
    health: HealthBoard
    graph: GraphClient
    signins: SignIns | None = None  # wired once the sign-in client lands
