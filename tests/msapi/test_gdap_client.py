"""The GDAP client against the emulator over real HTTPS: every page of the partner's relationships is read by
following `@odata.nextLink` (bounded), the fields arrive as Graph serialises them, a `status eq` filter is sent as
$filter, and an app without DelegatedAdminRelationship.Read.All gets Graph's 403, raised as ConsentMissing naming
that permission (not retried)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from emulator import demo
from emulator.gdap_book import SERVICE_SUPPORT_ADMINISTRATOR, GdapRelationship
from emulator.state import Fault
from msapi.errors import ConsentMissing, GraphError
from msapi.gdap import GDAP_PERMISSION, MAX_PAGES, GdapClient
from tests.msapi.graph_rig import GRAPH_SCOPE, GraphRig

PATH = "/graph/v1.0/tenantRelationships/delegatedAdminRelationships"
NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def gdap_client(rig: GraphRig, tenant: str = demo.PARTNER.tenant_id) -> GdapClient:
    return GdapClient(rig.http, rig.tokens(), rig.base, GRAPH_SCOPE, sleep=rig.sleeps, partner_tenant_id=tenant)


def many(count: int) -> list[GdapRelationship]:
    return [
        GdapRelationship(
            f"rel-{index:04d}",
            f"Relationship {index}",
            demo.FABRIKAM,
            (SERVICE_SUPPORT_ADMINISTRATOR,),
            "active" if index % 2 else "expired",
            NOW - timedelta(days=400),
            NOW - timedelta(days=399),
            NOW + timedelta(days=index),
        )
        for index in range(count)
    ]


async def test_every_page_is_followed_with_the_fields_graph_sends(graph_rig: GraphRig) -> None:
    graph_rig.state.gdap.replace_all(many(650))

    found = await gdap_client(graph_rig).relationships()

    assert [r.id for r in found] == [f"rel-{i:04d}" for i in range(650)]
    calls = graph_rig.state.requests(PATH, method="GET")
    assert len(calls) == 3, "300 + 300 + 50: the page's own $top ceiling"
    third = found[3]
    assert third.customer_tenant_id == demo.FABRIKAM.tenant_id and third.customer_name == "Fabrikam, Inc."
    assert third.role_ids == (SERVICE_SUPPORT_ADMINISTRATOR,)
    assert third.status == "active" and third.end == NOW + timedelta(days=3)
    assert third.activated == NOW - timedelta(days=399) and third.duration == "P730D"
    assert not third.auto_extends


async def test_status_filter_is_sent_and_applied(graph_rig: GraphRig) -> None:
    graph_rig.state.gdap.replace_all(many(10))

    found = await gdap_client(graph_rig).relationships(status="active")

    assert {r.status for r in found} == {"active"} and len(found) == 5


async def test_the_demo_relationships_carry_auto_extend_and_statuses(graph_rig: GraphRig) -> None:
    found = {r.customer_tenant_id: r for r in await gdap_client(graph_rig).relationships()}

    assert found[demo.NORTHWIND.tenant_id].auto_extends
    assert found[demo.TAILSPIN.tenant_id].status == "expired"
    assert SERVICE_SUPPORT_ADMINISTRATOR not in found[demo.ADVENTURE_WORKS.tenant_id].role_ids


async def test_missing_permission_is_consent_missing_naming_it_and_not_retried(graph_rig: GraphRig) -> None:
    graph_rig.state.gdap.permission_granted = False

    with pytest.raises(ConsentMissing) as caught:
        await gdap_client(graph_rig).relationships()

    error = caught.value
    assert (error.status, error.code, error.permission) == (403, "Authorization_RequestDenied", GDAP_PERMISSION)
    assert GDAP_PERMISSION in str(error) and error.request_id
    assert len(graph_rig.state.requests(PATH, method="GET")) == 1


async def test_a_next_link_that_never_ends_is_cut_off(graph_rig: GraphRig) -> None:
    looping = {"value": [], "@odata.nextLink": f"{graph_rig.base}/v1.0/tenantRelationships/delegatedAdminRelationships"}
    graph_rig.state.inject(Fault(PATH, status=200, body=looping, times=-1))

    with pytest.raises(GraphError, match="did not end"):
        await gdap_client(graph_rig).relationships()

    assert len(graph_rig.state.requests(PATH, method="GET")) == MAX_PAGES


async def test_a_body_that_is_not_a_collection_is_an_error_not_no_relationships(graph_rig: GraphRig) -> None:
    graph_rig.state.inject(Fault(PATH, status=200, body={"error": "cut"}))

    with pytest.raises(GraphError, match="not a collection"):
        await gdap_client(graph_rig).relationships()


async def test_a_customer_tenant_token_lists_no_relationships(graph_rig: GraphRig) -> None:
    assert await gdap_client(graph_rig, demo.FABRIKAM.tenant_id).relationships() == []
