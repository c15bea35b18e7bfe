"""The baseline of bench/turns.py: the stock Bot Framework echo bot (CloudAdapter,
ConfigurationBotFrameworkAuthentication, an ActivityHandler that answers `echo: <text>`), as the SDK's samples build it,
in its own process.

    python -m bench.echo_bot   (settings from the environment: PORT, MicrosoftAppId, MicrosoftAppPassword and the
                                SDK's endpoint settings, TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL and the others)

One change from stock, so that nothing reaches the internet: the SDK hands `VALIDATE_AUTHORITY` to its credentials
but never to the MSAL app it builds, and MSAL then asks login.microsoftonline.com whether the (local) login host is
an Entra ID instance; here that MSAL app is built with instance discovery off. Everything else is as stock: new
credentials and a new MSAL app for every turn (so one OpenID discovery and one token request to the local Entra ID
per turn), the connector client and the user-token client rebuilt per turn, msrest (de)serialisation.

With ECHO_REUSE_CREDENTIALS=1 the factory keeps the credentials it made (one token for every turn, as the desk
does): the same bot without the per-turn token request, to show how much of the stock cost that request is.
"""

from __future__ import annotations

import os
from types import SimpleNamespace
from typing import Any

import msal
from aiohttp import web
from botbuilder.core import ActivityHandler, TurnContext
from botbuilder.integration.aiohttp import (
    CloudAdapter,
    ConfigurationBotFrameworkAuthentication,
    ConfigurationServiceClientCredentialFactory,
)

SDK_SETTINGS = (
    "TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL",
    "TO_BOT_FROM_CHANNEL_TOKEN_ISSUER",
    "TO_CHANNEL_FROM_BOT_LOGIN_URL",
    "TO_CHANNEL_FROM_BOT_OAUTH_SCOPE",
    "OAUTH_URL",
)


class OfflineCredentialFactory(ConfigurationServiceClientCredentialFactory):
    """The stock factory; the MSAL app of each credentials object it makes skips instance discovery. `reuse`: the
    credentials are made once per (app, scope, login endpoint) and kept."""

    def __init__(self, configuration: Any, reuse: bool) -> None:
        super().__init__(configuration)
        self._reuse = reuse
        self._made: dict[tuple[str, str, str], Any] = {}

    async def create_credentials(
        self, app_id: str, oauth_scope: str, login_endpoint: str, validate_authority: bool
    ) -> Any:
        key = (app_id, oauth_scope, login_endpoint)
        if self._reuse and key in self._made:
            return self._made[key]
        credentials = await super().create_credentials(app_id, oauth_scope, login_endpoint, validate_authority)
        if credentials.microsoft_app_id:  # what MicrosoftAppCredentials builds on first use, with the one change
            credentials.app = msal.ConfidentialClientApplication(
                client_id=credentials.microsoft_app_id,
                client_credential=credentials.microsoft_app_password,
                authority=credentials.oauth_endpoint,
                instance_discovery=False,
            )
        if self._reuse:
            self._made[key] = credentials
        return credentials


class EchoBot(ActivityHandler):
    async def on_message_activity(self, turn_context: TurnContext) -> None:
        await turn_context.send_activity(f"echo: {turn_context.activity.text}")


def make_app() -> web.Application:
    # The SDK's own names for the bot's registration, as app.py reads them.
    config = SimpleNamespace(APP_ID=os.environ["MicrosoftAppId"], APP_PASSWORD=os.environ["MicrosoftAppPassword"])  # noqa: SIM112
    for name in SDK_SETTINGS:
        if name in os.environ:
            setattr(config, name, os.environ[name])
    config.VALIDATE_AUTHORITY = False
    authentication = ConfigurationBotFrameworkAuthentication(
        config, credentials_factory=OfflineCredentialFactory(config, os.environ.get("ECHO_REUSE_CREDENTIALS") == "1")
    )
    adapter = CloudAdapter(authentication)
    bot = EchoBot()

    async def messages(request: web.Request) -> web.Response:
        return await adapter.process(request, bot)

    async def healthz(_: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app = web.Application()
    app.router.add_post("/api/messages", messages)
    app.router.add_get("/healthz", healthz)
    return app


if __name__ == "__main__":
    web.run_app(make_app(), host="127.0.0.1", port=int(os.environ["PORT"]), access_log=None, print=None)
