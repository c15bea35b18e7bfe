"""The Graph client's parsers read Microsoft's documented service communications examples (tests/data/contracts):
health overviews, issues (with their posts' HTML), Message center items, and Graph's error bodies."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

import httpx

from msapi.graph import GraphClient
from msapi.graph_models import health_issue, message_item, service_health
from tests.emulator.fixtures import documented, fixture


def test_health_overviews() -> None:
    services = [service_health(item) for item in documented("graph_healthoverviews")["value"]]

    assert [(s.service_id, s.service, s.status, s.healthy) for s in services] == [
        ("Exchange", "Exchange Online", "ServiceDegradation", False),
        ("microsoftteams", "Microsoft Teams", "ServiceOperational", True),
    ]


def test_issues_listed_and_read_alike() -> None:
    listed = health_issue(documented("graph_issues")["value"][0])
    read = health_issue(documented("graph_issue"))

    assert listed == read
    assert (read.id, read.classification, read.status, read.is_resolved) == (
        "EX700001",
        "incident",
        "ServiceRestored",
        True,
    )
    assert read.last_modified == datetime(2024, 2, 3, 10, 1, 2, 345000, tzinfo=UTC)
    assert read.latest_post is not None and read.latest_post.post_type == "Regular"
    assert "<br>" not in read.latest_post.text and "Users may be unable to open them." in read.latest_post.text


def test_message_center_items() -> None:
    item = message_item(documented("graph_messages")["value"][0])

    assert (item.id, item.category, item.severity) == ("MC700002", "PlanForChange", "High")
    assert item.services == ("Planner", "Microsoft Teams")
    assert item.action_required_by is None
    assert item.last_modified == datetime(2024, 3, 4, 5, 6, 7, 891000, tzinfo=UTC)


def test_documented_error_bodies() -> None:
    graph = GraphClient(cast(Any, None), cast(Any, None), "https://graph.invalid", "scope")
    error = fixture("graph_error")["response"]
    throttled = fixture("graph_throttled")["response"]

    missing = graph.error_from(httpx.Response(error["status"], json=error["body"]))
    slowed = graph.error_from(httpx.Response(throttled["status"], json=throttled["body"]))

    assert (missing.status, missing.code, missing.request_id) == (
        404,
        "itemNotFound",
        "0a1b2c3d-0000-4000-8000-0000000000r1",
    )
    assert (slowed.status, slowed.code, slowed.request_id) == (
        429,
        "TooManyRequests",
        "0a1b2c3d-0000-4000-8000-0000000000r2",
    )
