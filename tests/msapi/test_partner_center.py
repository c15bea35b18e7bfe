"""The real PartnerCenterClient and TokenProvider against the real emulator, over HTTPS with its own CA."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from emulator import demo
from emulator.server import EmulatorServer
from emulator.state import EmulatorState, Fault, Seen
from msapi.errors import PartnerCenterError, TokenError
from msapi.partner_center import PartnerCenterClient
from msapi.tokens import TokenProvider
from msapi.transport import msal_session
from tests.support.emulator import trusting_clients
from tests.support.timing import Sleeps

SCOPE = "https://api.partnercenter.microsoft.com/.default"
CUSTOMERS_PATH = "/partnercenter/v1/customers"
MANY = 250  # more than two pages of the client's 100


def generated_customers(count: int) -> tuple[demo.DemoTenant, ...]:
    """`count` distinct demo customer tenants."""
    return tuple(
        demo.DemoTenant(
            tenant_id=f"{index:08x}-0000-4000-8000-{index:012x}",
            name=f"Customer {index:03d}",
            domain=f"customer{index:03d}.onmicrosoft.com",
        )
        for index in range(count)
    )


@dataclass
class Rig:
    """The emulator and clients wired as the runtime wires them."""

    server: EmulatorServer
    http: httpx.AsyncClient
    bundle: str
    sleeps: Sleeps

    @property
    def state(self) -> EmulatorState:
        """What the emulator knows and saw."""
        return self.server.state

    def tokens(self, secret: str = demo.APP_SECRET) -> TokenProvider:
        """A token provider for the demo app."""
        login = f"{self.server.base_url}/login"
        return TokenProvider(demo.APP_ID, secret, login, msal_session(self.bundle), validate_authority=False)

    def client(self, tokens: TokenProvider, partner_tenant: str = demo.PARTNER.tenant_id) -> PartnerCenterClient:
        """A Partner Center client on the emulator."""
        base = f"{self.server.base_url}/partnercenter"
        return PartnerCenterClient(self.http, tokens, base, SCOPE, partner_tenant_id=partner_tenant, sleep=self.sleeps)

    def customer_calls(self) -> list[Seen]:
        """Partner Center customer-list requests seen by the emulator."""
        return self.state.requests(CUSTOMERS_PATH, method="GET")

    def token_posts(self) -> list[Seen]:
        """Token requests seen by the emulator."""
        return [s for s in self.state.requests("/login/", method="POST") if s.path.endswith("/oauth2/v2.0/token")]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[EmulatorServer]:
    """The emulator on a free port, with 250 customers."""
    running = EmulatorServer(EmulatorState(customers=generated_customers(MANY)), tmp_path / "tls").start()
    yield running
    running.stop()


@pytest.fixture
async def rig(server: EmulatorServer, tmp_path: Path) -> AsyncIterator[Rig]:
    """Clients that trust the emulator's CA."""
    async with trusting_clients(server, tmp_path) as (http, bundle):
        yield Rig(server, http, bundle, Sleeps())


def lower_keys(headers: dict[str, str]) -> dict[str, str]:
    """Headers with lower-case names."""
    return {name.lower(): value for name, value in headers.items()}


async def test_customers_follows_paging_across_pages(rig: Rig) -> None:
    customers = await rig.client(rig.tokens()).customers()

    expected = generated_customers(MANY)
    assert [c.tenant_id for c in customers] == [t.tenant_id for t in expected]
    assert customers[0].name == "Customer 000"
    assert customers[0].domains == ("customer000.onmicrosoft.com",)
    assert customers[-1].name == "Customer 249"
    # Pages of 100: 100 + 100 + 50; the second and third requests carry the continuation token.
    calls = rig.customer_calls()
    assert len(calls) == 3
    assert [("ms-continuationtoken" in lower_keys(c.headers)) for c in calls] == [False, True, True]
    assert all(c.status == 200 for c in calls)


async def test_single_page_of_demo_customers(rig: Rig) -> None:
    rig.state.customers = demo.CUSTOMERS

    customers = await rig.client(rig.tokens()).customers()

    assert {c.name for c in customers} == {
        "Fabrikam, Inc.",
        "Northwind Traders",
        "Adventure Works Cycles",
        "Tailspin Toys",
    }
    assert len(rig.customer_calls()) == 1


async def test_requests_carry_request_and_correlation_ids(rig: Rig) -> None:
    await rig.client(rig.tokens()).customers()

    calls = [lower_keys(c.headers) for c in rig.customer_calls()]
    request_ids = [c["ms-requestid"] for c in calls]
    correlation_ids = [c["ms-correlationid"] for c in calls]
    for value in request_ids + correlation_ids:
        uuid.UUID(value)  # each a GUID
    assert len(set(request_ids)) == len(calls)  # a fresh id per page request
    assert all(c["authorization"].startswith("Bearer ") for c in calls)


async def test_429_is_retried_after_retry_after_with_the_same_request_id(rig: Rig) -> None:
    rig.state.customers = demo.CUSTOMERS
    rig.state.inject(Fault(path=CUSTOMERS_PATH, status=429, retry_after="2"))

    customers = await rig.client(rig.tokens()).customers()

    assert len(customers) == len(demo.CUSTOMERS)
    calls = rig.customer_calls()
    assert [c.status for c in calls] == [429, 200]
    assert rig.sleeps.waits == [2.0]
    first, retry = (lower_keys(c.headers) for c in calls)
    assert first["ms-requestid"] == retry["ms-requestid"]


async def test_persistent_503_ends_in_partner_center_error(rig: Rig) -> None:
    rig.state.inject(Fault(path=CUSTOMERS_PATH, status=503, times=-1))

    with pytest.raises(PartnerCenterError) as caught:
        await rig.client(rig.tokens()).customers()

    assert caught.value.status == 503
    assert len(rig.customer_calls()) == 4  # the default policy's attempts
    assert len(rig.sleeps.waits) == 3


async def test_partner_center_error_body_gives_code_and_description(rig: Rig) -> None:
    client = rig.client(rig.tokens())

    with pytest.raises(PartnerCenterError) as caught:
        await client.request(
            "GET",
            "/v1/customers",
            params={"size": "100", "seekOperation": "Next"},
            headers={"MS-ContinuationToken": "%%"},
        )

    assert caught.value.status == 400
    assert caught.value.code == "400"
    assert caught.value.args[0] == "Invalid continuation token."
    assert "Partner Center: Invalid continuation token., status 400, code 400" in str(caught.value)
    assert len(rig.customer_calls()) == 1  # a 400 is not retried


async def test_token_of_another_tenant_is_refused_with_partner_center_code(rig: Rig) -> None:
    rig.state.customers = demo.CUSTOMERS  # Fabrikam has the app, so its token is issued
    client = rig.client(rig.tokens(), partner_tenant=demo.FABRIKAM.tenant_id)

    with pytest.raises(PartnerCenterError) as caught:
        await client.customers()

    assert caught.value.status == 403
    assert caught.value.code == "600001"
    assert "does not match a Partner Center account" in caught.value.args[0]


async def test_one_token_for_the_partner_tenant_across_calls(rig: Rig) -> None:
    tokens = rig.tokens()
    client = rig.client(tokens)

    for _ in range(3):
        assert len(await client.customers()) == MANY

    assert len(rig.customer_calls()) == 9
    assert tokens.requests_made == 1
    posts = rig.token_posts()
    assert len(posts) == 1
    assert posts[0].tenant == demo.PARTNER.tenant_id


async def test_unknown_client_secret_raises_token_error(rig: Rig) -> None:
    tokens = rig.tokens(secret="not-the-secret")

    with pytest.raises(TokenError) as caught:
        await tokens.token(demo.PARTNER.tenant_id, SCOPE)

    assert caught.value.code == "invalid_client 7000215"
    assert "AADSTS7000215" in caught.value.args[0]
    assert len(rig.token_posts()) == 1


async def test_unknown_client_secret_fails_the_call_before_partner_center(rig: Rig) -> None:
    with pytest.raises(TokenError):
        await rig.client(rig.tokens(secret="not-the-secret")).customers()

    assert rig.customer_calls() == []


async def test_tenant_without_the_app_raises_token_error(rig: Rig) -> None:
    with pytest.raises(TokenError) as caught:
        await rig.tokens().token(demo.STRANGER.tenant_id, SCOPE)

    assert caught.value.code == "unauthorized_client 700016"


@pytest.mark.parametrize(
    "answer",
    [{"raw": '{"totalCount": 2, "items": [{"id": "cut off'}, {"body": {"unexpected": "shape"}}, {"body": {"items": 1}}],
    ids=["cut-off", "no-items", "items-not-a-list"],
)
async def test_a_page_that_is_not_a_collection_is_an_error_not_an_empty_list(rig: Rig, answer) -> None:
    # Read as "no customers", such an answer would make every customer a stranger until the next refresh.
    rig.state.inject(Fault(path=CUSTOMERS_PATH, status=200, **answer))

    with pytest.raises(PartnerCenterError, match="not a collection"):
        await rig.client(rig.tokens()).customers()
