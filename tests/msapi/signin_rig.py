"""The real UserSignIn against the real emulator over HTTPS, with a recorder of every request MSAL sends and a
browser stand-in (httpx, redirects followed by hand) for the sign-in pages."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
import requests

from emulator import demo
from emulator.server import EmulatorServer
from emulator.state import EmulatorState
from msapi.delegated import SignedIn, UserSignIn
from msapi.transport import combined_bundle, msal_session

REDIRECT_URI = "http://127.0.0.1:3978/auth/callback"
TECHNICIAN = demo.PARTNER.users[1]  # Diego Siciliani


@dataclass(frozen=True)
class Sent:
    """One request MSAL made and the status it got."""

    method: str
    url: str
    form: dict[str, str]
    status: int


@dataclass
class SignInRig:
    """The emulator, the sign-in client, and what MSAL sent."""

    server: EmulatorServer
    bundle: str
    sent: list[Sent] = field(default_factory=list)

    @classmethod
    def start(cls, folder: Path) -> SignInRig:
        """The emulator on a free port (device codes polled every second)."""
        server = EmulatorServer(EmulatorState(device_interval=1), folder / "tls").start()
        return cls(server, combined_bundle(str(server.tls.ca_cert), str(folder / "ca-bundle.pem")))

    @property
    def state(self) -> EmulatorState:
        """What the emulator knows and saw."""
        return self.server.state

    def client(self) -> UserSignIn:
        """A sign-in client for the demo app in the partner's tenant, its requests recorded."""
        session = msal_session(self.bundle)
        session.hooks["response"].append(self._record)
        login = f"{self.server.base_url}/login"
        return UserSignIn(
            demo.APP_ID, demo.APP_SECRET, login, demo.PARTNER.tenant_id, session, validate_authority=False
        )

    def browser(self) -> httpx.AsyncClient:
        """A browser stand-in that trusts the emulator's CA and does not follow redirects."""
        return httpx.AsyncClient(verify=self.bundle, follow_redirects=False)

    def token_grants(self) -> list[tuple[str, int]]:
        """(grant_type, status) of every token request MSAL sent."""
        return [(s.form.get("grant_type", ""), s.status) for s in self.sent if s.url.endswith("/oauth2/v2.0/token")]

    async def sign_in(self, client: UserSignIn, user: demo.DemoUser = TECHNICIAN) -> SignedIn:
        """A full authorization-code sign-in of `user`, picked on the emulator's page."""
        flow = await client.start_auth_code(REDIRECT_URI)
        async with self.browser() as browser:
            answer = await pick_account(browser, flow["auth_uri"], user)
        return await client.finish_auth_code(flow, answer)

    def _record(self, response: requests.Response, *args: object, **kwargs: object) -> None:
        body = response.request.body or ""
        text = body.decode() if isinstance(body, bytes) else body
        form = {k: v[0] for k, v in parse_qs(text).items()}
        self.sent.append(Sent(str(response.request.method), str(response.request.url), form, response.status_code))


async def pick_account(browser: httpx.AsyncClient, auth_uri: str, user: demo.DemoUser) -> dict[str, str]:
    """Open the authorize page, press the user's button, and return the query the app's redirect URI receives."""
    page = await browser.get(auth_uri)
    assert page.status_code == 200 and user.email in page.text
    chosen = await browser.post(auth_uri, data={"user": user.aad_id})
    assert chosen.status_code == 302, chosen.text
    return redirect_query(chosen)


def redirect_query(response: httpx.Response) -> dict[str, str]:
    """The query of a 302 answer's Location, as the app's redirect route would see it."""
    location = response.headers["location"]
    assert location.startswith(REDIRECT_URI + "?"), location
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def claims(token: str) -> dict[str, object]:
    """A JWT's claims, unverified."""
    return jwt.decode(token, options={"verify_signature": False})
