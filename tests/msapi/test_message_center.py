"""The Message center of a customer tenant through the real GraphClient against the emulator over HTTPS: every
post's fields, paging through `@odata.nextLink`, the bound on what is read, and a tenant where the app lacks
ServiceMessage.Read.All."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from emulator import demo
from msapi.errors import ConsentMissing
from tests.msapi.graph_rig import BIG, GraphRig
from tests.msapi.test_graph import query_of

FABRIKAM = demo.FABRIKAM.tenant_id


def bulk_messages(count: int, tenant: str = BIG.tenant_id) -> list[demo.DemoMessage]:
    """`count` posts for one tenant, post n last changed n minutes after a fixed time."""
    base = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
    return [
        demo.DemoMessage(
            id=f"MC{900000 + n}",
            title=f"Change {n}",
            category="StayInformed",
            severity="Normal",
            services=("Microsoft Teams",),
            body=f"<p>Post <b>{n}</b></p>",
            start=base,
            last_modified=base + timedelta(minutes=n),
            tenants=(tenant,),
        )
        for n in range(count)
    ]


async def test_every_field_of_a_post_is_read_and_the_body_is_plain_text(graph_rig: GraphRig) -> None:
    posts = {post.id: post for post in await graph_rig.client().message_center(FABRIKAM)}

    assert {"MC700010", "MC700011", "MC700012", "MC700013", "MC700001", "MC700002"} <= set(posts)
    major = posts["MC700010"]
    assert major.is_major_change and major.category_key == "planforchange" and major.severity_key == "high"
    assert major.services == ("Exchange Online", "Microsoft 365 apps")
    assert major.tags == ("Admin impact", "Retirement")
    assert major.action_required_by is not None and major.start is not None and major.last_modified is not None
    assert "Update or replace add-ins" in major.text and "<b>" not in major.text
    assert posts["MC700013"].action_required_by is None and not posts["MC700013"].is_major_change


async def test_posts_follow_next_links_newest_change_first(graph_rig: GraphRig) -> None:
    with graph_rig.state.lock:
        graph_rig.state.messages.update({m.id: m for m in bulk_messages(250)})

    posts = await graph_rig.client().message_center(BIG.tenant_id)

    assert [p.id for p in posts] == [f"MC{900000 + n}" for n in reversed(range(250))]
    assert [c.status for c in graph_rig.graph_calls("/messages")] == [200, 200, 200]
    first, second, third = graph_rig.urls[-3:]
    assert query_of(first) == {"$orderby": ["lastModifiedDateTime desc"]}
    assert query_of(second) == {"$orderby": ["lastModifiedDateTime desc"], "$skip": ["100"]}
    assert query_of(third) == {"$orderby": ["lastModifiedDateTime desc"], "$skip": ["200"]}


async def test_reading_stops_at_the_limit_without_fetching_more_pages(graph_rig: GraphRig) -> None:
    with graph_rig.state.lock:
        graph_rig.state.messages.update({m.id: m for m in bulk_messages(250)})

    posts = await graph_rig.client().message_center(BIG.tenant_id, limit=120)

    assert len(posts) == 120 and posts[0].id == "MC900249"
    assert len(graph_rig.graph_calls("/messages")) == 2


async def test_a_tenant_without_service_message_permission_is_refused_with_403(graph_rig: GraphRig) -> None:
    graph_rig.state.graph_permissions_missing[FABRIKAM] = {"ServiceMessage.Read.All"}
    client = graph_rig.client()

    with pytest.raises(ConsentMissing) as caught:
        await client.message_center(FABRIKAM)

    error = caught.value
    assert (error.status, error.code, error.permission) == (403, "Forbidden", "ServiceMessage.Read.All")
    assert error.request_id and error.tenant_id == FABRIKAM
    assert len(graph_rig.graph_calls("/messages")) == 1, "a refusal is not retried"
    assert await client.health_overviews(FABRIKAM), "service health needs the other permission, still granted"
