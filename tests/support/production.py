"""The environment of the real app in production mode with every Microsoft endpoint local: the emulator for Entra
ID, Graph and Partner Center, a local OpenID document for the channel's keys, the local connector allowed."""

from __future__ import annotations

from pathlib import Path

from emulator import demo
from emulator.server import EmulatorServer
from tests.support.connector import LocalConnector
from tests.support.engines import fresh_database_url
from tests.support.tokens import CHANNEL_ISSUER

BOT_APP_ID = "3f2b6c1e-8d4a-4e7b-9c0f-1a2b3c4d5e6f"
BOT_PASSWORD = "bot-secret-for-tests"


def production_env(
    folder: Path,
    connector: LocalConnector,
    emulator: EmulatorServer,
    metadata_url: str,
    *,
    bot_password: str = BOT_PASSWORD,
    partner_secret: str = demo.APP_SECRET,
) -> dict[str, str]:
    """Production-mode settings (a bot app id is set): nothing reaches beyond this machine."""
    return {
        "MicrosoftAppId": BOT_APP_ID,
        "MicrosoftAppPassword": bot_password,
        "PARTNER_TENANT_ID": demo.PARTNER.tenant_id,
        "TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL": metadata_url,
        "TO_BOT_FROM_CHANNEL_TOKEN_ISSUER": CHANNEL_ISSUER,
        "TO_CHANNEL_FROM_BOT_OAUTH_SCOPE": "https://api.botframework.com",
        "TO_CHANNEL_FROM_BOT_LOGIN_URL": f"{emulator.base_url}/login/botframework.com",
        "OAUTH_URL": f"{emulator.base_url}/oauth",
        "VALIDATE_AUTHORITY": "false",
        "SERVICE_URL_ALLOWLIST": connector.url,
        "LOGIN_URL": f"{emulator.base_url}/login",
        "GRAPH_URL": f"{emulator.base_url}/graph",
        "PARTNER_CENTER_URL": f"{emulator.base_url}/partnercenter",
        "PARTNER_APP_ID": demo.APP_ID,
        "PARTNER_APP_SECRET": partner_secret,
        "EXTRA_CA_FILE": str(emulator.tls.ca_cert),
        "DATA_DIR": str(folder / "data"),
        "DATABASE_URL": fresh_database_url(folder),
        "PARTNER_NAME": "Contoso Cloud Services",
    }
