"""The emulator's Graph routes at the wire level (Graph's JSON, paging, refusals) and its control routes for
changing issues while it runs, over HTTP and in-process."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from emulator import demo
from tests.msapi.graph_rig import ANNOUNCEMENTS, GRAPH_SCOPE, GraphRig

FABRIKAM, NORTHWIND, ADVENTURE = demo.FABRIKAM.tenant_id, demo.NORTHWIND.tenant_id, demo.ADVENTURE_WORKS.tenant_id


async def get(rig: GraphRig, tenant: str, suffix: str, scope: str = GRAPH_SCOPE, **kwargs: Any) -> httpx.Response:
    """A raw GET of a service communications URL with an emulator-issued token."""
    token = await rig.tokens().token(tenant, scope)
    headers = {"Authorization": f"Bearer {token}", **kwargs.pop("headers", {})}
    return await rig.http.get(f"{rig.server.base_url}{ANNOUNCEMENTS}{suffix}", headers=headers, **kwargs)


async def control(rig: GraphRig, suffix: str, body: Any = None) -> httpx.Response:
    """A POST to the emulator's Graph control routes."""
    return await rig.http.post(f"{rig.server.base_url}/_emulator/graph{suffix}", json=body)


async def test_wire_format_matches_graph(graph_rig: GraphRig) -> None:
    overviews = (await get(graph_rig, NORTHWIND, "/healthOverviews")).json()
    assert overviews["@odata.context"] == (
        "https://graph.microsoft.com/v1.0/$metadata#admin/serviceAnnouncement/healthOverviews"
    )
    assert {"service": "Exchange Online", "status": "ServiceDegradation", "id": "Exchange"} in overviews["value"]

    issues = (await get(graph_rig, NORTHWIND, "/issues")).json()
    assert "@odata.nextLink" not in issues
    exchange = next(i for i in issues["value"] if i["id"] == "EX987654")
    assert exchange["classification"] == "Incident" and exchange["isResolved"] is False
    assert exchange["lastModifiedDateTime"].endswith("Z") and exchange["endDateTime"] is None
    assert exchange["posts"][0]["description"]["contentType"] == "Html"
    assert exchange["posts"][0]["postType"] == "Regular"
    assert {i["classification"] for i in issues["value"]} == {"Incident", "Advisory"}

    single = (await get(graph_rig, NORTHWIND, "/issues/TM123456")).json()
    assert single["@odata.context"].endswith("#admin/serviceAnnouncement/issues/$entity")
    assert single["id"] == "TM123456" and "value" not in single

    messages = (await get(graph_rig, NORTHWIND, "/messages")).json()
    assert all(m["body"]["contentType"] == "Html" and m["viewPoint"] is None for m in messages["value"])


async def test_page_size_from_prefer_header_and_top(graph_rig: GraphRig) -> None:
    answer = await get(graph_rig, NORTHWIND, "/healthOverviews", headers={"Prefer": "odata.maxpagesize=3"})
    body = answer.json()
    assert len(body["value"]) == 3
    assert answer.headers["Preference-Applied"] == "odata.maxpagesize=3"
    assert body["@odata.nextLink"] == f"{graph_rig.base}/v1.0/admin/serviceAnnouncement/healthOverviews?$skip=3"

    first = (await get(graph_rig, NORTHWIND, "/issues", params={"$top": "1"})).json()
    assert [i["id"] for i in first["value"]] == ["EX987654"]
    token = await graph_rig.tokens().token(NORTHWIND, GRAPH_SCOPE)
    second = (await graph_rig.http.get(first["@odata.nextLink"], headers={"Authorization": f"Bearer {token}"})).json()
    assert [i["id"] for i in second["value"]] == ["TM123456"]
    assert "@odata.nextLink" not in second


async def test_refusals_use_graphs_error_body(graph_rig: GraphRig) -> None:
    url = f"{graph_rig.server.base_url}{ANNOUNCEMENTS}/issues"
    no_token = await graph_rig.http.get(url)
    assert no_token.status_code == 401
    assert no_token.json()["error"]["code"] == "InvalidAuthenticationToken"

    wrong_audience = await get(graph_rig, FABRIKAM, "/issues", scope="https://api.partnercenter.microsoft.com/.default")
    assert wrong_audience.status_code == 401
    assert wrong_audience.json()["error"]["message"].endswith("Invalid audience.")

    partner = await get(graph_rig, demo.PARTNER.tenant_id, "/issues")
    assert partner.status_code == 401 and partner.json()["error"]["code"] == "InvalidAuthenticationToken"

    unconsented = await get(graph_rig, demo.TAILSPIN.tenant_id, "/healthOverviews")
    error = unconsented.json()["error"]
    assert unconsented.status_code == 401
    assert error["code"] == "Authorization_IdentityNotFound"
    assert error["message"] == "The identity of the calling application could not be established."
    assert error["innerError"]["request-id"] == unconsented.headers["request-id"]

    unknown = await get(graph_rig, FABRIKAM, "/issues/EX000000")
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "NotFound"

    bad_filter = await get(graph_rig, FABRIKAM, "/issues", params={"$filter": "status eq 'x'"})
    assert bad_filter.status_code == 400 and bad_filter.json()["error"]["code"] == "BadRequest"


async def test_gov_audience_is_accepted(graph_rig: GraphRig) -> None:
    answer = await get(graph_rig, FABRIKAM, "/issues", scope="https://graph.microsoft.us/.default")

    assert answer.status_code == 200
    assert answer.json()["@odata.context"].startswith("https://graph.microsoft.us/v1.0/$metadata#")


async def test_control_routes_create_post_to_and_resolve_an_issue(graph_rig: GraphRig) -> None:
    client = graph_rig.client()
    created = await control(
        graph_rig,
        "/issues",
        {
            "id": "SP555000",
            "title": "Users can't open SharePoint sites",
            "service": "SharePoint Online",
            "feature": "Sites",
            "classification": "Incident",
            "status": "ServiceInterruption",
            "impactDescription": "Sites return an error.",
            "tenants": [ADVENTURE],
            "posts": ["<p>We&#39;re investigating.</p>"],
        },
    )
    assert created.status_code == 201
    opened = await client.issues(ADVENTURE)
    assert [(i.id, i.status, i.latest_post.text if i.latest_post else "") for i in opened] == [
        ("SP555000", "ServiceInterruption", "We're investigating.")
    ]
    sharepoint = {s.service: s for s in await client.health_overviews(ADVENTURE)}["SharePoint Online"]
    assert (sharepoint.status, sharepoint.healthy) == ("ServiceInterruption", False)

    posted = await control(graph_rig, "/issues/SP555000/posts", {"text": "<p>Fix deployed.</p>", "status": "Mitigated"})
    assert posted.status_code == 200
    updated = await client.issue(ADVENTURE, "SP555000")
    assert (updated.status, len(updated.posts), updated.latest_post and updated.latest_post.text) == (
        "Mitigated",
        2,
        "Fix deployed.",
    )
    assert updated.last_modified and opened[0].last_modified and updated.last_modified >= opened[0].last_modified

    resolved = await control(graph_rig, "/issues/SP555000/resolve")
    assert resolved.status_code == 200 and resolved.json()["isResolved"] is True
    final = await client.issue(ADVENTURE, "SP555000")
    assert (final.is_resolved, final.status, final.end is not None) == (True, "ServiceRestored", True)
    assert await client.issues(ADVENTURE) == []
    sharepoint = {s.service: s for s in await client.health_overviews(ADVENTURE)}["SharePoint Online"]
    assert (sharepoint.status, sharepoint.healthy) == ("ServiceRestored", True)


async def test_control_routes_refuse_unknown_ids_and_bad_bodies(graph_rig: GraphRig) -> None:
    assert (await control(graph_rig, "/issues/XX1/resolve")).status_code == 404
    assert (await control(graph_rig, "/issues/XX1/posts", {"text": "hi"})).status_code == 404
    assert (await control(graph_rig, "/issues/EX987654/posts", {"status": "Mitigated"})).status_code == 400
    assert (await control(graph_rig, "/issues", {"id": "SP1"})).status_code == 400  # no tenants
    assert (await control(graph_rig, "/issues", ["not", "an", "object"])).status_code == 400
    assert (await control(graph_rig, "/issues", {"id": "SP1", "tenants": [FABRIKAM], "title": 5})).status_code == 400


async def test_partial_upsert_keeps_other_fields(graph_rig: GraphRig) -> None:
    answer = await control(graph_rig, "/issues", {"id": "EX987654", "status": "RestoringService"})

    assert answer.status_code == 200
    issue = await graph_rig.client().issue(FABRIKAM, "EX987654")
    assert (issue.status, issue.title, len(issue.posts)) == (
        "RestoringService",
        "Users may be unable to send or receive email",
        2,
    )
    exchange = {s.service: s for s in await graph_rig.client().health_overviews(NORTHWIND)}["Exchange Online"]
    assert exchange.status == "RestoringService"


async def test_in_process_mutations_from_another_thread(graph_rig: GraphRig) -> None:
    client = graph_rig.client()
    before = await client.issue(NORTHWIND, "EX987654")

    await asyncio.to_thread(graph_rig.state.add_post, "EX987654", "Mail flow is recovering.")
    await asyncio.to_thread(graph_rig.state.resolve_issue, "EX987654")

    after = await client.issue(FABRIKAM, "EX987654")
    assert after.is_resolved and after.latest_post and after.latest_post.text == "Mail flow is recovering."
    assert before.last_modified and after.last_modified and after.last_modified > before.last_modified
    for tenant in (FABRIKAM, NORTHWIND):
        assert [i.id for i in await client.issues(tenant)] == (["TM123456"] if tenant == NORTHWIND else [])
        exchange = {s.service: s for s in await client.health_overviews(tenant)}["Exchange Online"]
        assert exchange.status == "ServiceRestored"
    teams = {s.service: s for s in await client.health_overviews(NORTHWIND)}["Microsoft Teams"]
    assert teams.status == "Investigating"  # another issue's service is untouched
