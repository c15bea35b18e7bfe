"""Local mode: the emulator started inside the bot's process (the one place production code reaches it, through
a lazy import), and the settings that point every Microsoft API of the desk at it."""

from __future__ import annotations

import logging
from dataclasses import replace

from desk.hours import BusinessHours
from desk.settings import Settings
from desk.support import CONTACT_METHODS, SupportProfile
from emulator import demo, demo_support
from emulator.demo_storm import storm_customers
from emulator.install_events import InstallEvents
from emulator.server import EmulatorServer
from emulator.state import EmulatorState
from emulator.teams_sink import TeamsSink
from playground.render import BOT_ID, BOT_NAME, CUSTOMER_CHAT_ID

logger = logging.getLogger(__name__)

# The demo partner's published support terms: its contact details are those of the emulator's Partner Center
# support profile, and the demo answers at any hour, so a first try at night or at a weekend is not told that
# support is closed.
DEMO_HOURS = "24x7"
DEMO_PRICING = "Included in your CSP agreement; projects and on-site work are quoted separately."
DEMO_EMERGENCY = "+1 425 555 0199 (critical outages, any hour)"


def start(settings: Settings) -> tuple[EmulatorServer, Settings]:
    """Serve the emulator with the demo tenants (and EMULATOR_STORM_CUSTOMERS extra customers, for an incident
    storm: emulator/demo_storm.py); returns it and the settings aimed at it."""
    customers = (*demo.CUSTOMERS, *storm_customers(settings.emulator_storm_customers))
    state = EmulatorState(customers=customers, sr_script=list(demo.SR_SCRIPT))
    server = EmulatorServer(state, settings.data_dir / "emulator-tls", settings.emulator_port).start()
    logger.info("Microsoft API emulator at %s", server.base_url)
    server.sink = TeamsSink(state.teams).start()
    state.install_events = install_events(settings, server.sink.url)
    return server, local_settings(settings, server.base_url)


def install_events(settings: Settings, sink_url: str) -> InstallEvents:
    """Where Teams' install events go in local mode: to this bot's /api/messages, Megan Bowen's (the customer
    playground's current user, playground/render.py) naming the playground's connector and personal chat, so her
    welcome card shows in the playground; everyone else's naming the sink (emulator/teams_sink.py)."""
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    playground = f"http://localhost:{settings.customer_playground_port}/_connector"
    megan = (demo.FABRIKAM.tenant_id, demo.FABRIKAM.users[0].aad_id)
    return InstallEvents(
        messages_url=f"http://{host}:{settings.port}/api/messages",
        service_url=sink_url,
        bot_id=BOT_ID,
        bot_name=BOT_NAME,
        chats={megan: (playground, CUSTOMER_CHAT_ID)},
    )


def local_settings(settings: Settings, emulator_url: str) -> Settings:
    """Point every Microsoft API at the emulator and fill in the demo partner's identity and support profile (what
    the user did not set in the environment)."""
    return replace(
        settings,
        login_url=f"{emulator_url}/login",
        graph_url=f"{emulator_url}/graph",
        partner_center_url=f"{emulator_url}/partnercenter",
        partner_tenant_id=settings.partner_tenant_id or demo.PARTNER.tenant_id,
        api_client_id=settings.api_client_id or demo.APP_ID,
        api_client_secret=settings.api_client_secret or demo.APP_SECRET,
        support=demo_profile(settings.support, settings.support_given),
    )


def demo_profile(profile: SupportProfile, given: frozenset[str]) -> SupportProfile:
    """`profile` with the demo partner's values wherever its variable was not given."""
    contact = demo_support.SUPPORT_PROFILE
    demo_values = {
        "PARTNER_NAME": ("partner_name", demo.PARTNER.name),
        "SUPPORT_EMAIL": ("email", contact["email"]),
        "SUPPORT_PHONE": ("phone", contact["telephone"]),
        "SUPPORT_WEBSITE": ("website", contact["website"]),
        "SUPPORT_PRICING": ("pricing", DEMO_PRICING),
        "SUPPORT_EMERGENCY_CONTACT": ("emergency_contact", DEMO_EMERGENCY),
        "SUPPORT_CONTACT_METHODS": ("contact_methods", CONTACT_METHODS),
    }
    changes: dict[str, object] = {field: value for name, (field, value) in demo_values.items() if name not in given}
    if "SUPPORT_HOURS" not in given:
        # The user's time zone and holidays stay; only the weekly schedule opens round the clock.
        round_the_clock = BusinessHours.parse(DEMO_HOURS, profile.hours.timezone.key)
        changes["hours_text"] = DEMO_HOURS
        changes["hours"] = replace(profile.hours, weekly=round_the_clock.weekly)
    return replace(profile, **changes)  # type: ignore[arg-type]
