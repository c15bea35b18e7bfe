"""The Message center's rules without I/O: the order technicians see, what a customer and the digest hear about,
and the week whose digest is due at a given instant in the partner's time zone (daylight saving included)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from desk.message_center import customer_date, digest_week, needs_action, ordered, post_url
from msapi.graph_models import MessageCenterItem

NOW = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
CHICAGO = ZoneInfo("America/Chicago")


def post(post_id: str, changed_hours_ago: float = 1, **fields: object) -> MessageCenterItem:
    return MessageCenterItem(
        id=post_id,
        title=post_id,
        category="PlanForChange",
        severity="Normal",
        services=(),
        action_required_by=fields.pop("act", None),  # type: ignore[arg-type]
        last_modified=NOW - timedelta(hours=changed_hours_ago),
        **fields,  # type: ignore[arg-type]
    )


def test_order_is_action_dates_soonest_first_then_undated_major_changes_then_the_rest_newest_first() -> None:
    posts = [
        post("plain-old", 50),
        post("major-undated", 40, is_major_change=True),
        post("act-late", 30, act=NOW + timedelta(days=40)),
        post("plain-new", 1),
        post("act-soon-major", 60, act=NOW + timedelta(days=2), is_major_change=True),
    ]
    assert [p.id for p in ordered(posts)] == ["act-soon-major", "act-late", "major-undated", "plain-new", "plain-old"]


def test_needs_action_keeps_dates_within_thirty_days_from_now_only() -> None:
    posts = [
        post("past", act=NOW - timedelta(minutes=1)),
        post("now", act=NOW),
        post("day-30", act=NOW + timedelta(days=30)),
        post("day-31", act=NOW + timedelta(days=30, minutes=1)),
        post("none"),
    ]
    assert [p.id for p in needs_action(posts, NOW)] == ["now", "day-30"]


def test_a_customer_hears_of_an_action_date_before_a_start_date_within_sixty_days() -> None:
    both = post("both", act=NOW + timedelta(days=10), start=NOW + timedelta(days=5))
    assert customer_date(both, NOW) == ("act", NOW + timedelta(days=10))
    late_action = post("late", act=NOW + timedelta(days=61), start=NOW + timedelta(days=3))
    assert customer_date(late_action, NOW) == ("starts", NOW + timedelta(days=3))
    assert customer_date(post("started", start=NOW - timedelta(days=1)), NOW) is None


@pytest.mark.parametrize(
    ("local", "week"),
    [
        (datetime(2026, 3, 2, 8, 59), None),  # Monday before 09:00 (CST, UTC-6)
        (datetime(2026, 3, 2, 9, 0), "2026-W10"),
        (datetime(2026, 3, 6, 23, 59), "2026-W10"),  # Friday night: a desk back from an outage still sends
        (datetime(2026, 3, 7, 0, 0), None),  # Saturday: skipped, Monday's is near
        (datetime(2026, 3, 8, 23, 0), None),  # Sunday
        (datetime(2026, 3, 9, 8, 59), None),  # Monday after the change to CDT (UTC-5)
        (datetime(2026, 3, 9, 9, 0), "2026-W11"),
        (datetime(2027, 1, 4, 9, 0), "2027-W01"),
    ],
)
def test_digest_week_is_due_from_monday_nine_local_until_friday(local: datetime, week: str | None) -> None:
    instant = local.replace(tzinfo=CHICAGO).astimezone(UTC)
    assert digest_week(instant, CHICAGO) == week


def test_monday_nine_follows_daylight_saving_in_utc() -> None:
    assert digest_week(datetime(2026, 3, 2, 14, 59, tzinfo=UTC), CHICAGO) is None
    assert digest_week(datetime(2026, 3, 2, 15, 0, tzinfo=UTC), CHICAGO) == "2026-W10"
    assert digest_week(datetime(2026, 3, 9, 13, 59, tzinfo=UTC), CHICAGO) is None
    assert digest_week(datetime(2026, 3, 9, 14, 0, tzinfo=UTC), CHICAGO) == "2026-W11"


def test_post_links_use_the_clouds_admin_center() -> None:
    assert post_url("https://admin.microsoft.com", "MC1") == (
        "https://admin.microsoft.com/AdminPortal/Home#/MessageCenter/:/messages/MC1"
    )
    assert post_url("https://portal.office365.us", "MC1").startswith("https://portal.office365.us/AdminPortal/")
