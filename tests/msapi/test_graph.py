"""The real GraphClient and TokenProvider against the real emulator over HTTPS: parsing, paging, filtering,
retries, pacing and one token per tenant."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from desk.ratelimit import Limits, SharedRateLimiter
from desk.store.database import open_database
from emulator import demo
from emulator.state import Fault
from msapi.errors import GraphError
from tests.msapi.graph_rig import ANNOUNCEMENTS, BIG, GraphRig, bulk_issues

FABRIKAM, NORTHWIND, ADVENTURE = demo.FABRIKAM.tenant_id, demo.NORTHWIND.tenant_id, demo.ADVENTURE_WORKS.tenant_id
SERVICES = {
    "Exchange Online",
    "Microsoft Teams",
    "SharePoint Online",
    "OneDrive for Business",
    "Microsoft Entra",
    "Microsoft Intune",
    "Microsoft 365 suite",
    "Power BI",
}
THROTTLED = {
    "error": {
        "code": "TooManyRequests",
        "innerError": {"code": "429", "message": "Please retry after", "request-id": "94fb3b52", "status": "429"},
        "message": "Please retry again later.",
    }
}


def query_of(url: str) -> dict[str, list[str]]:
    """The query options of a URL."""
    return parse_qs(urlsplit(url).query)


async def test_health_overviews_are_parsed_with_ids_and_statuses(graph_rig: GraphRig) -> None:
    services = {s.service: s for s in await graph_rig.client().health_overviews(FABRIKAM)}

    assert set(services) == SERVICES
    exchange = services["Exchange Online"]
    assert (exchange.service_id, exchange.status, exchange.healthy) == ("Exchange", "ServiceDegradation", False)
    assert services["Microsoft Entra"].status == "ServiceRestored"
    assert services["Microsoft Entra"].healthy
    assert [s.service for s in services.values() if not s.healthy] == ["Exchange Online"]


async def test_statuses_are_compared_case_insensitively(graph_rig: GraphRig) -> None:
    services = {s.service: s for s in await graph_rig.client().health_overviews(ADVENTURE)}

    # The emulator serves both spellings, as Graph's docs and samples do.
    assert services["Power BI"].status == "serviceOperational"
    assert services["Exchange Online"].status == "ServiceOperational"
    assert all(s.healthy for s in services.values())


async def test_issues_follow_next_links_across_pages(graph_rig: GraphRig) -> None:
    for issue in bulk_issues(250):
        graph_rig.state.upsert_issue(issue)

    issues = await graph_rig.client().issues(BIG.tenant_id)

    assert [i.id for i in issues] == [f"EX{100000 + n}" for n in range(250)]
    calls = graph_rig.graph_calls("/issues")
    assert [c.status for c in calls] == [200, 200, 200]
    first, second, third = graph_rig.urls[-3:]
    assert query_of(first) == {"$filter": ["isResolved eq false"]}
    # Next pages are the emulator's absolute links, followed verbatim: filter kept, $skip advanced.
    assert second.startswith(f"{graph_rig.base}/v1.0/admin/serviceAnnouncement/issues?")
    assert query_of(second) == {"$filter": ["isResolved eq false"], "$skip": ["100"]}
    assert query_of(third) == {"$filter": ["isResolved eq false"], "$skip": ["200"]}


async def test_open_only_leaves_out_resolved_issues(graph_rig: GraphRig) -> None:
    client = graph_rig.client()

    assert await client.issues(ADVENTURE) == []
    every = await client.issues(ADVENTURE, open_only=False)

    assert [(i.id, i.is_resolved, i.status) for i in every] == [("EX975310", True, "ServiceRestored")]
    assert every[0].end is not None
    assert "$filter" not in query_of(graph_rig.urls[-1])


async def test_shared_incident_and_advisory_of_northwind(graph_rig: GraphRig) -> None:
    issues = {i.id: i for i in await graph_rig.client().issues(NORTHWIND)}

    assert set(issues) == {"EX987654", "TM123456"}
    exchange, teams = issues["EX987654"], issues["TM123456"]
    assert (exchange.classification, exchange.status_key, exchange.is_resolved) == (
        "incident",
        "servicedegradation",
        False,
    )
    assert exchange.title == "Users may be unable to send or receive email"
    assert exchange.service == "Exchange Online"
    assert exchange.start is not None and exchange.start.tzinfo is not None
    assert (teams.classification, teams.service, teams.status) == ("advisory", "Microsoft Teams", "Investigating")
    fabrikam = await graph_rig.client().issues(FABRIKAM)
    assert [i.id for i in fabrikam] == ["EX987654"]


async def test_issue_by_id_and_unknown_id(graph_rig: GraphRig) -> None:
    client = graph_rig.client()

    issue = await client.issue(ADVENTURE, "EX975310")
    assert (issue.id, issue.is_resolved, issue.title) == (
        "EX975310",
        True,
        "Delays in mail delivery to external recipients",
    )
    with pytest.raises(GraphError) as caught:
        await client.issue(ADVENTURE, "EX987654")  # exists, but not in this tenant

    assert (caught.value.status, caught.value.code) == (404, "NotFound")
    assert caught.value.request_id  # from innerError


async def test_posts_become_plain_text_newest_last(graph_rig: GraphRig) -> None:
    issue = await graph_rig.client().issue(FABRIKAM, "EX987654")

    assert len(issue.posts) == 2
    first, latest = issue.posts
    assert issue.latest_post == latest
    assert latest.created > first.created
    assert latest.post_type == "Regular"
    assert "<" not in first.text + latest.text and "&#39;" not in first.text + latest.text
    assert first.text.startswith("Title: Users may be unable to send or receive email\n\nUser Impact:")
    assert "We've identified" in latest.text and "delays & failures" in latest.text
    assert "\n\n\n" not in latest.text


async def test_429_waits_the_fractional_retry_after_then_succeeds(graph_rig: GraphRig) -> None:
    path = ANNOUNCEMENTS + "/healthOverviews"
    graph_rig.state.inject(Fault(path=path, status=429, retry_after="2.128", body=THROTTLED))

    services = await graph_rig.client().health_overviews(FABRIKAM)

    assert len(services) == 8
    assert [c.status for c in graph_rig.graph_calls("/healthOverviews")] == [429, 200]
    assert graph_rig.sleeps.waits == [2.128]


async def test_503_backs_off_with_jitter_then_succeeds(graph_rig: GraphRig) -> None:
    graph_rig.state.inject(Fault(path=ANNOUNCEMENTS + "/issues", status=503))

    issues = await graph_rig.client().issues(FABRIKAM)

    assert [i.id for i in issues] == ["EX987654"]
    assert [c.status for c in graph_rig.graph_calls("/issues")] == [503, 200]
    assert len(graph_rig.sleeps.waits) == 1
    assert 0.8 <= graph_rig.sleeps.waits[0] <= 1.2  # the first backoff, 1 s +/- 20%


async def test_slow_answer_within_the_timeout_succeeds_without_retry(graph_rig: GraphRig) -> None:
    graph_rig.state.inject(Fault(path=ANNOUNCEMENTS + "/healthOverviews", status=0, delay=1.5))
    client = graph_rig.client()
    await client.issues(FABRIKAM)  # the token first, so the timing below is the slow call's

    started = time.monotonic()
    services = await client.health_overviews(FABRIKAM)

    assert time.monotonic() - started >= 1.5
    assert len(services) == 8
    assert [c.status for c in graph_rig.graph_calls("/healthOverviews")] == [200]
    assert graph_rig.sleeps.waits == []


async def test_graph_error_body_gives_code_message_and_request_id_either_spelling(graph_rig: GraphRig) -> None:
    for inner in ("innerError", "innererror"):
        body = {"error": {"code": "BadRequest", "message": "Invalid filter clause", inner: {"request-id": inner}}}
        graph_rig.state.inject(Fault(path=ANNOUNCEMENTS + "/issues", status=400, body=body))

        with pytest.raises(GraphError) as caught:
            await graph_rig.client().issues(FABRIKAM)

        error = caught.value
        assert (error.status, error.code, error.args[0], error.request_id) == (
            400,
            "BadRequest",
            "Invalid filter clause",
            inner,
        )
    assert len(graph_rig.graph_calls("/issues")) == 2  # a 400 is not retried


async def test_next_link_to_another_host_is_not_followed(graph_rig: GraphRig) -> None:
    page = {"value": [], "@odata.nextLink": "https://graph.example.net/v1.0/admin/serviceAnnouncement/issues?$skip=1"}
    graph_rig.state.inject(Fault(path=ANNOUNCEMENTS + "/issues", status=200, body=page))

    with pytest.raises(GraphError) as caught:
        await graph_rig.client().issues(FABRIKAM)

    assert "outside" in caught.value.args[0]
    assert not any("example.net" in url for url in graph_rig.urls)


async def test_each_page_waits_for_the_tenants_rate_limiter(graph_rig: GraphRig, tmp_path: Path) -> None:
    """The shared limiter (its state in the database, as the runtime wires it) paces every page."""
    for issue in bulk_issues(250):
        graph_rig.state.upsert_issue(issue)
    now = [datetime(2026, 3, 2, 9, 0, tzinfo=UTC)]
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += timedelta(seconds=seconds)

    db = await open_database(f"sqlite:///{tmp_path}/desk.db")
    try:
        limiter = SharedRateLimiter(db, "graph", Limits(((2, 60.0),)), clock=lambda: now[0], sleep=sleep)
        issues = await graph_rig.client(limiter=limiter).issues(BIG.tenant_id)
    finally:
        await db.close()

    assert len(issues) == 250
    assert len(graph_rig.graph_calls("/issues")) == 3
    assert waits == [60.0]  # the third page waited for the first to leave the window


async def test_one_token_per_tenant_reused_across_calls(graph_rig: GraphRig) -> None:
    tokens = graph_rig.tokens()
    client = graph_rig.client(tokens)

    for _ in range(3):
        for tenant in (FABRIKAM, NORTHWIND):
            await client.health_overviews(tenant)
            await client.issues(tenant)
    await client.messages(FABRIKAM)

    assert len(graph_rig.graph_calls()) == 13
    posts = graph_rig.token_posts()
    assert sorted(p.tenant or "" for p in posts) == sorted([FABRIKAM, NORTHWIND])
    assert tokens.requests_made == 2


async def test_messages_newest_first_limited_to_top(graph_rig: GraphRig) -> None:
    client = graph_rig.client()

    messages = await client.messages(NORTHWIND)
    assert [m.id for m in messages] == ["MC700002", "MC700001"]
    smtp = messages[0]
    assert (smtp.category, smtp.severity, smtp.services) == ("PlanForChange", "High", ("Exchange Online",))
    assert smtp.action_required_by is not None and smtp.last_modified is not None
    assert messages[1].action_required_by is None
    assert query_of(graph_rig.urls[-1]) == {"$orderby": ["lastModifiedDateTime desc"], "$top": ["50"]}

    assert [m.id for m in await client.messages(NORTHWIND, top=1)] == ["MC700002"]
    assert len(graph_rig.graph_calls("/messages")) == 2  # top=1 did not fetch the next page


@pytest.mark.parametrize(
    "answer",
    [
        {"raw": '{"value": [{"id": "Exchange", "status": "serviceOp'},
        {"body": {"unexpected": "shape"}},
        {"body": {"value": 1}},
    ],
    ids=["cut-off", "no-value", "value-not-a-list"],
)
async def test_a_page_that_is_not_a_collection_is_an_error_not_an_empty_list(graph_rig: GraphRig, answer) -> None:
    # Read as "no services, no issues", such an answer would report every service healthy and every incident over.
    graph_rig.state.inject(Fault(path=ANNOUNCEMENTS + "/healthOverviews", status=200, **answer))

    with pytest.raises(GraphError, match="not a collection"):
        await graph_rig.client().health_overviews(FABRIKAM)
