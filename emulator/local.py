"""Local mode: the emulator started inside the bot's process (the one place production code reaches it, through
a lazy import), and the settings that point every Microsoft API of the desk at it."""

from __future__ import annotations

import logging
from dataclasses import replace

from desk.settings import Settings
from emulator import demo
from emulator.server import EmulatorServer
from emulator.state import EmulatorState

logger = logging.getLogger(__name__)


def start(settings: Settings) -> tuple[EmulatorServer, Settings]:
    """Serve the emulator with the demo tenants; returns it and the settings aimed at it."""
    state = EmulatorState(sr_script=list(demo.SR_SCRIPT))
    server = EmulatorServer(state, settings.data_dir / "emulator-tls", settings.emulator_port).start()
    logger.info("Microsoft API emulator at %s", server.base_url)
    return server, local_settings(settings, server.base_url)


def local_settings(settings: Settings, emulator_url: str) -> Settings:
    """Point every Microsoft API at the emulator and fill in the demo partner's identity."""
    return replace(
        settings,
        login_url=f"{emulator_url}/login",
        graph_url=f"{emulator_url}/graph",
        partner_center_url=f"{emulator_url}/partnercenter",
        partner_tenant_id=settings.partner_tenant_id or demo.PARTNER.tenant_id,
        api_client_id=settings.api_client_id or demo.APP_ID,
        api_client_secret=settings.api_client_secret or demo.APP_SECRET,
    )
