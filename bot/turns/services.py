"""The services a handler may use, built once at start-up and handed to every turn."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from desk.clock import Clock
from desk.customers import CustomerDirectory
from desk.health import HealthBoard
from desk.people import Role
from desk.report_links import ReportLinks
from desk.service import Desk
from desk.settings import Settings

if TYPE_CHECKING:
    from bot.features.sign_ins import SignIns
    from bot.jobs.spawner import Spawner
    from bot.outbox.sender import OutboxSender
    from bot.turns.identity import WhoIsWho
    from dialogs.runner import DialogRunner
    from msapi.directory import DirectoryClient
    from msapi.gdap import GdapClient
    from msapi.graph import GraphClient
    from msapi.partner_center import PartnerCenterClient
    from msapi.teams_apps import TeamsAppsClient


class ListedCommand(Protocol):
    """A command as help shows it."""

    @property
    def phrase(self) -> str: ...

    @property
    def usage(self) -> str: ...

    @property
    def help_key(self) -> str: ...


class CommandList(Protocol):
    """The commands help lists (bot.turns.commands.CommandRouter). Named by what help reads, not by the router's
    module: the router needs the turn, and the turn these services."""

    def listed(self, role: Role, scope: str) -> Sequence[ListedCommand]: ...


@dataclass
class Services:
    """Everything a feature handler may call."""

    settings: Settings
    desk: Desk
    customers: CustomerDirectory
    sender: OutboxSender
    commands: CommandList
    clock: Clock
    who: WhoIsWho
    dialogs: DialogRunner
    spawner: Spawner
    partner_center: PartnerCenterClient
    health: HealthBoard
    graph: GraphClient
    signins: SignIns | None = None  # wired once the sign-in client lands
    gdap: GdapClient | None = None  # the partner's GDAP relationships (Graph, partner tenant)
    report_links: ReportLinks | None = None  # signed CSV links under PUBLIC_URL (None: no key or address)
    teams_apps: TeamsAppsClient | None = None  # customers' org catalogs and per-user installs (roll-out)
    directory: DirectoryClient | None = None  # customers' users and groups (roll-out)
