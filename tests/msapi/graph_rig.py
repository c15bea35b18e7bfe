"""The real GraphClient and TokenProvider wired to the real emulator over HTTPS (its own CA), as the runtime
wires them, plus recorders for sleeps and for the URLs the client requested."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

from emulator import demo
from emulator.server import EmulatorServer
from emulator.state import EmulatorState, Seen
from msapi.graph import GraphClient
from msapi.limits import RateLimit
from msapi.tokens import TokenProvider
from msapi.transport import msal_session
from tests.support.timing import Sleeps

GRAPH_SCOPE = "https://graph.microsoft.com/.default"
ANNOUNCEMENTS = "/graph/v1.0/admin/serviceAnnouncement"
# A customer for bulk data, so the demo tenants' issues stay as they are.
BIG = demo.DemoTenant(
    tenant_id="7a6b5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c01", name="Litware, Inc.", domain="litware.onmicrosoft.com"
)


@dataclass
class GraphRig:
    """The emulator, an HTTP client trusting its CA, and factories for tokens and Graph clients."""

    server: EmulatorServer
    http: httpx.AsyncClient
    bundle: str
    sleeps: Sleeps
    urls: list[str]

    @property
    def state(self) -> EmulatorState:
        """What the emulator knows and saw."""
        return self.server.state

    @property
    def base(self) -> str:
        """The emulator's Graph root (what GRAPH_URL is in local mode)."""
        return f"{self.server.base_url}/graph"

    def tokens(self, secret: str = demo.APP_SECRET) -> TokenProvider:
        """A token provider for the demo app."""
        login = f"{self.server.base_url}/login"
        return TokenProvider(demo.APP_ID, secret, login, msal_session(self.bundle), validate_authority=False)

    def client(self, tokens: TokenProvider | None = None, limiter: RateLimit | None = None) -> GraphClient:
        """A Graph client on the emulator with the recording sleep."""
        return GraphClient(
            self.http, tokens or self.tokens(), self.base, GRAPH_SCOPE, sleep=self.sleeps, limiter=limiter
        )

    def graph_calls(self, suffix: str = "") -> list[Seen]:
        """Service communications requests seen by the emulator (under `suffix`, e.g. /issues)."""
        return self.state.requests(ANNOUNCEMENTS + suffix, method="GET")

    def token_posts(self) -> list[Seen]:
        """Token requests seen by the emulator."""
        return [s for s in self.state.requests("/login/", method="POST") if s.path.endswith("/oauth2/v2.0/token")]


def bulk_issues(count: int, tenant: str = BIG.tenant_id) -> list[demo.DemoIssue]:
    """`count` open incidents for one tenant, ids ordered."""
    start = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
    return [
        demo.DemoIssue(
            id=f"EX{100000 + index}",
            title=f"Issue {index}",
            service="Exchange Online",
            feature="Mail flow",
            classification="Incident",
            status="ServiceDegradation",
            impact="",
            start=start,
            tenants=(tenant,),
        )
        for index in range(count)
    ]
