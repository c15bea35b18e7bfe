"""Parsing Graph's service communications JSON, and turning its HTML into plain text."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from msapi.graph_models import HealthPost, ServiceHealth, health_issue, message_item, parse_time
from msapi.html_text import html_to_text


@pytest.mark.parametrize(
    ("status", "healthy"),
    [
        ("ServiceOperational", True),
        ("serviceOperational", True),
        ("SERVICERESTORED", True),
        ("postIncidentReviewPublished", True),
        ("falsePositive", True),
        ("resolved", True),
        ("ResolvedExternal", True),
        ("mitigated", True),
        ("MitigatedExternal", True),
        ("ServiceDegradation", False),
        ("serviceInterruption", False),
        ("Investigating", False),
        ("RestoringService", False),
        ("extendedRecovery", False),
        ("", False),
    ],
)
def test_healthy_statuses_case_insensitively(status: str, healthy: bool) -> None:
    assert ServiceHealth("Exchange", "Exchange Online", status).healthy is healthy


def test_html_is_stripped_entities_unescaped_blank_lines_collapsed() -> None:
    html = (
        "<div><p>Title: Mail &amp; calendar</p>\n\n\n<p>User Impact:&nbsp;users can&#39;t send.</p>"
        "<script>alert('x')</script><style>p {color: red}</style>"
        "<ul><li>First</li><li>Second</li></ul>Next update by:<br>Monday</div>"
    )

    assert html_to_text(html) == (
        "Title: Mail & calendar\n\nUser Impact: users can't send.\n\n• First\n\n• Second\n\nNext update by:\nMonday"
    )


def test_plain_text_keeps_its_line_breaks() -> None:
    assert html_to_text("Title: x\r\n\r\n\r\n\r\nUser Impact:   y  \n") == "Title: x\n\nUser Impact: y"


def test_tags_and_attributes_vanish_while_escaped_markup_stays_text() -> None:
    text = html_to_text('<img src=x onerror="alert(1)">a &lt;b&gt; c<a href="javascript:x">link</a>')

    assert text == "a <b> clink"  # inline tags add no space, as a browser would render it


def test_times_are_utc_aware_with_any_fraction() -> None:
    assert parse_time("2021-01-08T01:10:06.8430000Z") == datetime(2021, 1, 8, 1, 10, 6, 843000, tzinfo=UTC)
    assert parse_time("2020-11-13T21:00:00") == datetime(2020, 11, 13, 21, tzinfo=UTC)
    assert parse_time("2020-11-13T23:00:00+02:00") == datetime(2020, 11, 13, 21, tzinfo=UTC)
    assert parse_time("yesterday") is None
    assert parse_time(None) is None


def test_issue_parsing_tolerates_missing_and_odd_fields() -> None:
    issue = health_issue(
        {
            "id": "EX1",
            "classification": "Advisory",
            "isResolved": "yes",  # not a boolean: not resolved
            "posts": [
                {"createdDateTime": "2024-05-01T10:00:00Z", "postType": "Quick", "description": None},
                {"description": {"content": "no time"}},
                "junk",
                {"createdDateTime": "2024-05-01T09:00:00Z", "description": {"content": "<b>older</b>"}},
            ],
        }
    )

    assert (issue.id, issue.classification, issue.is_resolved, issue.title, issue.start) == (
        "EX1",
        "advisory",
        False,
        "",
        None,
    )
    assert issue.posts == (
        HealthPost(datetime(2024, 5, 1, 10, tzinfo=UTC), "Quick", ""),
        HealthPost(datetime(2024, 5, 1, 9, tzinfo=UTC), "", "older"),
    )
    assert issue.latest_post == issue.posts[0]
    assert health_issue({"id": "EX2"}).latest_post is None


def test_message_parsing() -> None:
    item = message_item(
        {
            "id": "MC172851",
            "title": "(Updated) New feature",
            "category": "StayInformed",
            "severity": "Normal",
            "services": ["SharePoint Online", "OneDrive for Business", 7],
            "actionRequiredByDateTime": None,
            "lastModifiedDateTime": "2021-01-08T01:10:06.843Z",
        }
    )

    assert item.services == ("SharePoint Online", "OneDrive for Business")
    assert item.action_required_by is None
    assert item.last_modified == datetime(2021, 1, 8, 1, 10, 6, 843000, tzinfo=UTC)
