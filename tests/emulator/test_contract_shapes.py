"""The emulator answers in the shape of Microsoft's documented examples (tests/data/contracts): field names and
casing, paging links and tokens, error bodies."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from emulator import demo
from emulator.server import EmulatorServer
from emulator.state import Fault
from tests.emulator.contract_rig import GRAPH, PC, Tokens
from tests.emulator.fixtures import documented, fixture, shape_problems

FABRIKAM = demo.FABRIKAM.tenant_id
NORTHWIND = demo.NORTHWIND.tenant_id  # two issues and two Message center items: room for a second page
PARTNER = demo.PARTNER.tenant_id


class Caller:
    """Calls the emulator's Partner Center and Graph with the kind of token each needs."""

    def __init__(self, tokens: Tokens, app_pc: str, user_pc: str, app_graph: str) -> None:
        self.tokens, self.app_pc, self.user_pc, self.app_graph = tokens, app_pc, user_pc, app_graph

    async def pc(self, method: str, path: str, *, user: bool = False, body: Any = None) -> httpx.Response:
        token = self.user_pc if user else self.app_pc
        return await self._send(method, f"/partnercenter{path}", token, body)

    async def graph(self, path: str) -> httpx.Response:
        return await self._send("GET", f"/graph{path}", self.app_graph, None)

    async def _send(self, method: str, path: str, token: str, body: Any) -> httpx.Response:
        url = f"{self.tokens.server.base_url}{path}"
        return await self.tokens.http.request(method, url, json=body, headers={"Authorization": f"Bearer {token}"})


@pytest.fixture
async def caller(sr_server: EmulatorServer) -> AsyncIterator[Caller]:
    async with httpx.AsyncClient(verify=str(sr_server.tls.ca_cert)) as http:
        tokens = Tokens(sr_server, http)
        user = await tokens.user(PARTNER, demo.PARTNER.users[0], f"{PC}/user_impersonation")
        yield Caller(tokens, await tokens.app_only(PARTNER, PC), user, await tokens.app_only(NORTHWIND, GRAPH))


def same_shape(name: str, answer: httpx.Response) -> None:
    expected = fixture(name)["response"]
    assert answer.status_code == expected["status"], answer.text
    problems = shape_problems(expected["body"], answer.json())
    assert problems == [], "\n".join(problems)


async def test_partner_center_reads_answer_as_documented(caller: Caller) -> None:
    same_shape("pc_customers", await caller.pc("GET", "/v1/customers?size=40"))
    same_shape("pc_managedservices", await caller.pc("GET", f"/v1/customers/{FABRIKAM}/managedservices", user=True))
    same_shape("pc_subscriptions", await caller.pc("GET", f"/v1/customers/{FABRIKAM}/subscriptions"))
    same_shape("pc_supporttopics", await caller.pc("GET", "/v1/servicerequests/supporttopics"))
    same_shape("pc_support_profile", await caller.pc("GET", "/v1/profiles/support", user=True))


async def test_partner_center_pages_name_the_next_one_as_documented(caller: Caller) -> None:
    first = (await caller.pc("GET", "/v1/customers?size=1")).json()

    expected_next = documented("pc_paging_next_link")["links"]["next"]
    assert shape_problems(expected_next, first["links"].get("next")) == []
    assert [h["key"] for h in first["links"]["next"]["headers"]] == ["MS-ContinuationToken"]


async def test_service_requests_answer_as_documented(caller: Caller) -> None:
    create = fixture("pc_servicerequest_create")["request"]
    created = await caller.pc("POST", "/v1/servicerequests/en-US", user=True, body=create["body"] | NEW_FIELDS)
    same_shape("pc_servicerequest_create", created)
    sr_id = created.json()["id"]
    patch = fixture("pc_servicerequest_update")["request"]["body"]

    same_shape(
        "pc_servicerequest_update", await caller.pc("PATCH", f"/v1/servicerequests/{sr_id}", user=True, body=patch)
    )
    same_shape("pc_servicerequest_get", await caller.pc("GET", f"/v1/servicerequests/{sr_id}", user=True))
    listed = await caller.pc("GET", f"/v1/customers/{FABRIKAM}/servicerequests", user=True)
    same_shape("pc_customer_servicerequests", listed)
    assert listed.json()["items"], "the request names Fabrikam, so Fabrikam's list holds it"


# The documented create example's topic id and title are the documentation's own; the emulator knows its topics.
NEW_FIELDS = {"SupportTopicId": "32444681", "Title": f"Mail down at {FABRIKAM}"}


async def test_partner_center_errors_answer_as_documented(caller: Caller, sr_server: EmulatorServer) -> None:
    same_shape("pc_error", await caller.pc("GET", f"/v1/customers/{demo.STRANGER.tenant_id}/subscriptions"))
    refused = await caller.pc("GET", f"/v1/customers/{FABRIKAM}/managedservices")
    assert shape_problems(documented("pc_error"), refused.json()) == [] and refused.status_code == 403

    sr_server.state.inject(Fault("/partnercenter/v1/customers", status=429, retry_after="41"))
    throttled = await caller.pc("GET", "/v1/customers")
    same_shape("pc_throttled", throttled)
    assert throttled.headers["Retry-After"] == "41"


async def test_graph_answers_as_documented(caller: Caller) -> None:
    base = "/v1.0/admin/serviceAnnouncement"
    same_shape("graph_healthoverviews", await caller.graph(f"{base}/healthOverviews"))
    issues = await caller.graph(f"{base}/issues?$top=1")
    same_shape("graph_issues", issues)
    assert issues.json()["@odata.nextLink"].startswith("https://"), "Graph's next link is absolute"
    same_shape("graph_issue", await caller.graph(f"{base}/issues/EX987654"))
    messages = await caller.graph(f"{base}/messages?$top=1")
    same_shape("graph_messages", messages)
    assert "@odata.nextLink" in messages.json()


async def test_graph_errors_answer_as_documented(caller: Caller, sr_server: EmulatorServer) -> None:
    same_shape("graph_error", await caller.graph("/v1.0/admin/serviceAnnouncement/issues/XX000000"))

    sr_server.state.inject(Fault("/graph/v1.0/admin/serviceAnnouncement/issues", status=429, retry_after="7"))
    throttled = await caller.graph("/v1.0/admin/serviceAnnouncement/issues")
    same_shape("graph_throttled", throttled)
    assert throttled.headers["Retry-After"] == "7"
