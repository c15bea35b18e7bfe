"""Schedules naming a day's hours more than once: merged when the union is the only reading, refused when a later
part could be an override; business time is never counted twice. Jan 12 2026 is a Monday."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from desk.hours import BusinessHours

NINE_TO_FIVE = ((time(9), time(17)),)


def utc(*parts: int) -> datetime:
    """An instant given as UTC wall-clock parts."""
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


@pytest.mark.parametrize(
    "spec",
    [
        "Mon-Fri 09:00-13:00, 12:00-17:00",  # overlapping ranges in one part
        "Mon-Fri 09:00-12:00, 12:00-17:00",  # touching ranges
        "Mon-Fri 09:00-17:00, 10:00-12:00",  # a range inside another
        "Mon,Mon-Fri 09:00-17:00",  # Monday named twice in one day list
        "Mon-Fri 09:00-12:00; Mon-Fri 12:00-17:00",  # touching ranges in two parts
    ],
)
def test_a_days_ranges_are_merged_and_counted_once(spec: str) -> None:
    hours = BusinessHours.parse(spec, "UTC")

    assert hours.weekly[0] == NINE_TO_FIVE
    # Monday 16:00 + 2h: 1h Monday, then Tuesday 09:00 + 1h = Tuesday 10:00.
    assert hours.add(utc(2026, 1, 12, 16, 0), timedelta(hours=2)) == utc(2026, 1, 13, 10, 0)
    # Monday 09:00 + 8h is exactly closing time.
    assert hours.add(utc(2026, 1, 12, 9, 0), timedelta(hours=8)) == utc(2026, 1, 12, 17, 0)
    assert hours.elapsed(utc(2026, 1, 12, 0, 0), utc(2026, 1, 13, 0, 0)) == timedelta(hours=8)
    # A whole week is 5 x 8h.
    assert hours.elapsed(utc(2026, 1, 12, 0, 0), utc(2026, 1, 19, 0, 0)) == timedelta(hours=40)


def test_disjoint_ranges_in_two_parts_make_one_day() -> None:
    hours = BusinessHours.parse("Mon-Fri 09:00-12:00; Mon-Fri 13:00-17:00", "UTC")

    assert hours.weekly[0] == ((time(9), time(12)), (time(13), time(17)))
    # Monday 11:00 + 2h: 1h before lunch, 1h after = 14:00.
    assert hours.add(utc(2026, 1, 12, 11, 0), timedelta(hours=2)) == utc(2026, 1, 12, 14, 0)


@pytest.mark.parametrize(
    ("spec", "day"),
    [
        ("Mon-Fri 09:00-17:00; Mon 09:00-17:00", "Mon"),
        # A shorter Friday or the union? Ambiguous: refused rather than guessed.
        ("Mon-Fri 09:00-17:00; Fri 09:00-13:00", "Fri"),
        ("Mon-Fri 09:00-13:00; Wed 12:00-18:00", "Wed"),
    ],
)
def test_overlapping_hours_in_two_parts_are_refused(spec: str, day: str) -> None:
    with pytest.raises(ValueError, match=f"^{day} has overlapping hours in two parts of"):
        BusinessHours.parse(spec, "UTC")


def test_add_and_elapsed_never_count_overlapping_intervals_twice() -> None:
    # Built directly, bypassing parse: Monday holds the same range twice and one nested inside it.
    monday = ((time(9), time(17)), (time(9), time(17)), (time(10), time(12)))
    hours = BusinessHours(ZoneInfo("UTC"), (monday, NINE_TO_FIVE, (), (), (), (), ()))

    assert hours.add(utc(2026, 1, 12, 16, 0), timedelta(hours=2)) == utc(2026, 1, 13, 10, 0)
    assert hours.add(utc(2026, 1, 12, 9, 0), timedelta(hours=9)) == utc(2026, 1, 13, 10, 0)
    assert hours.elapsed(utc(2026, 1, 12, 0, 0), utc(2026, 1, 13, 0, 0)) == timedelta(hours=8)
    assert hours.elapsed(utc(2026, 1, 12, 11, 0), utc(2026, 1, 12, 12, 0)) == timedelta(hours=1)


def test_schedulable_is_the_horizons_weeks_less_holidays_and_clock_changes() -> None:
    # 114 weeks of 40h, less 5 clock changes and 2 holidays taken as 8h days: 4560h - 56h.
    hours = BusinessHours.parse("Mon-Fri 09:00-17:00", "UTC", "2026-12-25,2026-12-28")

    assert hours.schedulable() == timedelta(hours=4504)


@pytest.mark.parametrize("start", [utc(2026, 1, 12, 9, 0), utc(2026, 3, 27, 16, 30), utc(2026, 12, 24, 23, 0)])
def test_add_reaches_every_schedulable_duration(start: datetime) -> None:
    holidays = ",".join(f"2027-01-{day:02d}" for day in range(4, 16))  # two working weeks off
    hours = BusinessHours.parse("Mon-Thu 08:00-18:00; Fri 08:00-16:00", "Europe/London", holidays)

    due = hours.add(start, hours.schedulable())

    assert hours.elapsed(start, due) == hours.schedulable()


def test_adding_no_time_at_closing_stays_put() -> None:
    # A due time exactly at closing plus nothing stood (a pause outside business hours) must not move it on.
    hours = BusinessHours.parse("Mon-Fri 09:00-17:00", "UTC")
    friday_closing = datetime(2026, 11, 27, 17, 0, tzinfo=UTC)
    assert hours.add(friday_closing, timedelta(0)) == friday_closing
    assert hours.add(friday_closing, timedelta(minutes=1)) == datetime(2026, 11, 30, 9, 1, tzinfo=UTC)
