"""The real PartnerCenterClient against the real emulator for the support scenarios, with delegated (App+User)
tokens minted with the emulator's signing key, as its sign-in endpoints would issue them."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import httpx
import jwt

from emulator import demo
from emulator.server import EmulatorServer
from emulator.state import EmulatorState, Seen
from msapi.partner_center import PartnerCenterClient
from msapi.tokens import TokenProvider
from msapi.transport import msal_session
from tests.support.timing import Monotonic, Sleeps

SCOPE = "https://api.partnercenter.microsoft.com/.default"
PC_AUDIENCE = "https://api.partnercenter.microsoft.com"
SR_PATH = "/partnercenter/v1/servicerequests"
TOPICS_PATH = SR_PATH + "/supporttopics"


@dataclass
class SrRig:
    """The emulator, an HTTP client trusting its CA, and factories for tokens and Partner Center clients."""

    server: EmulatorServer
    http: httpx.AsyncClient
    bundle: str
    sleeps: Sleeps = field(default_factory=Sleeps)
    monotonic: Monotonic = field(default_factory=Monotonic)

    @property
    def state(self) -> EmulatorState:
        """What the emulator knows and saw."""
        return self.server.state

    def tokens(self) -> TokenProvider:
        """App-only tokens for the demo app."""
        login = f"{self.server.base_url}/login"
        return TokenProvider(demo.APP_ID, demo.APP_SECRET, login, msal_session(self.bundle), validate_authority=False)

    def client(self) -> PartnerCenterClient:
        """A Partner Center client on the emulator, for the demo partner."""
        return PartnerCenterClient(
            self.http,
            self.tokens(),
            f"{self.server.base_url}/partnercenter",
            SCOPE,
            partner_tenant_id=demo.PARTNER.tenant_id,
            sleep=self.sleeps,
            monotonic=self.monotonic,
        )

    def user_token(self, person: demo.DemoUser = demo.PARTNER.users[0], **overrides: Any) -> str:
        """A delegated Partner Center token of a partner user (user_impersonation)."""
        now = int(time.time())
        tenant = demo.PARTNER.tenant_id
        claims: dict[str, Any] = {
            "aud": PC_AUDIENCE,
            "iss": f"https://sts.windows.net/{tenant}/",
            "tid": tenant,
            "appid": demo.APP_ID,
            "idtyp": "user",
            "scp": "user_impersonation",
            "upn": person.email,
            "name": person.name,
            "given_name": person.given_name,
            "family_name": person.surname,
            "oid": person.aad_id,
            "iat": now,
            "nbf": now,
            "exp": now + 3600,
            **overrides,
        }
        return jwt.encode({k: v for k, v in claims.items() if v is not None}, self.state.signing_key, "HS256")

    async def app_token(self) -> str:
        """The app's own Partner Center token, as a caller that skipped sign-in would pass it."""
        return await self.tokens().token(demo.PARTNER.tenant_id, SCOPE)

    async def raw(self, method: str, path: str, token: str, json: Any = None) -> httpx.Response:
        """A request straight to the emulator (to look at the wire, or to drive its control routes: no token)."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return await self.http.request(method, f"{self.server.base_url}{path}", headers=headers, json=json)

    def calls(self, path: str, method: str) -> list[Seen]:
        """Requests the emulator answered on exactly this path."""
        return [seen for seen in self.state.requests(path, method=method) if seen.path == path]


def header(seen: Seen, name: str) -> str:
    """A request header, whatever its case."""
    return next((value for key, value in seen.headers.items() if key.lower() == name.lower()), "")
