"""The emulator's Message center at the wire level: serviceUpdateMessage as Graph serialises it, paging by
`Prefer: odata.maxpagesize`, and the 403 for a token without ServiceMessage.Read.All in its `roles`."""

from __future__ import annotations

import jwt

from emulator import demo
from tests.emulator.test_graph_emulator import control, get
from tests.msapi.graph_rig import GraphRig

FABRIKAM = demo.FABRIKAM.tenant_id
# The properties of serviceUpdateMessage (https://learn.microsoft.com/graph/api/resources/serviceupdatemessage) in
# the list's sample response (https://learn.microsoft.com/graph/api/serviceannouncement-list-messages).
MESSAGE_KEYS = {
    "startDateTime",
    "endDateTime",
    "lastModifiedDateTime",
    "title",
    "id",
    "category",
    "severity",
    "tags",
    "isMajorChange",
    "actionRequiredByDateTime",
    "services",
    "expiryDateTime",
    "details",
    "body",
    "viewPoint",
}


async def test_fabrikam_posts_in_graphs_wire_format(graph_rig: GraphRig) -> None:
    body = (await get(graph_rig, FABRIKAM, "/messages")).json()

    assert body["@odata.context"] == "https://graph.microsoft.com/v1.0/$metadata#admin/serviceAnnouncement/messages"
    posts = {post["id"]: post for post in body["value"]}
    assert all(set(post) == MESSAGE_KEYS for post in posts.values())
    major = posts["MC700010"]
    assert major["isMajorChange"] is True and major["category"] == "PlanForChange"
    assert major["actionRequiredByDateTime"].endswith("Z") and major["body"]["contentType"] == "Html"
    assert posts["MC700013"]["category"] == "StayInformed" and posts["MC700013"]["actionRequiredByDateTime"] is None
    northwind = (await get(graph_rig, demo.NORTHWIND.tenant_id, "/messages")).json()
    assert not {"MC700010", "MC700013"} & {post["id"] for post in northwind["value"]}, "Fabrikam's own posts"


async def test_pages_by_prefer_header_with_absolute_next_links(graph_rig: GraphRig) -> None:
    first = await get(graph_rig, FABRIKAM, "/messages", headers={"Prefer": "odata.maxpagesize=4"})
    body = first.json()

    assert len(body["value"]) == 4 and first.headers["Preference-Applied"] == "odata.maxpagesize=4"
    assert body["@odata.nextLink"] == f"{graph_rig.base}/v1.0/admin/serviceAnnouncement/messages?$skip=4"
    token = await graph_rig.tokens().token(FABRIKAM, "https://graph.microsoft.com/.default")
    rest = (await graph_rig.http.get(body["@odata.nextLink"], headers={"Authorization": f"Bearer {token}"})).json()
    assert len(rest["value"]) == 2 and "@odata.nextLink" not in rest


async def test_app_token_without_the_permission_gets_graphs_403(graph_rig: GraphRig) -> None:
    graph_rig.state.graph_permissions_missing[FABRIKAM] = {"ServiceMessage.Read.All"}
    token = await graph_rig.tokens().token(FABRIKAM, "https://graph.microsoft.com/.default")
    roles = jwt.decode(token, options={"verify_signature": False})["roles"]
    assert "ServiceHealth.Read.All" in roles and "ServiceMessage.Read.All" not in roles

    answer = await get(graph_rig, FABRIKAM, "/messages")

    assert answer.status_code == 403
    error = answer.json()["error"]
    assert error["code"] == "Forbidden" and "not have enough permission" in error["message"]
    assert error["innerError"]["request-id"] == answer.headers["request-id"]
    assert (await get(graph_rig, FABRIKAM, "/healthOverviews")).status_code == 200


async def test_a_post_added_through_the_control_route_reaches_its_tenants_only(graph_rig: GraphRig) -> None:
    post = {
        "id": "MC555001",
        "title": "Teams: new town hall limits",
        "category": "PlanForChange",
        "isMajorChange": True,
        "actionRequiredByDateTime": "2026-12-20T00:00:00Z",
        "services": ["Microsoft Teams"],
        "body": {"contentType": "Html", "content": "<p>Plan for it.</p>"},
        "tenants": [FABRIKAM],
    }
    added = await control(graph_rig, "/messages", post)
    assert added.status_code == 201 and added.json()["actionRequiredByDateTime"] == "2026-12-20T00:00:00.000Z"
    assert (await control(graph_rig, "/messages", {"id": "MC555002"})).status_code == 400

    fabrikam = (await get(graph_rig, FABRIKAM, "/messages")).json()["value"]
    northwind = (await get(graph_rig, demo.NORTHWIND.tenant_id, "/messages")).json()["value"]
    assert any(p["id"] == "MC555001" and p["isMajorChange"] is True for p in fabrikam)
    assert all(p["id"] != "MC555001" for p in northwind)
