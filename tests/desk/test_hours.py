"""Business-hours arithmetic at fixed instants; every expected value is worked out by hand in the comments.

Calendar used below (2026): Jan 12 and Jan 19 are Mondays, Jan 16 a Friday. Europe/London goes to BST (UTC+1) at
01:00 UTC on Sunday March 29 and back to GMT at 01:00 UTC on Sunday October 25. Auckland is UTC+13 in January
(NZDT), Los Angeles UTC-8 (PST).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from desk.hours import BusinessHours

LONDON = ZoneInfo("Europe/London")


def utc(*parts: int) -> datetime:
    """An instant given as UTC wall-clock parts."""
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def office(zone: str = "UTC", holidays: str = "") -> BusinessHours:
    """Mon-Fri 09:00-17:00 in `zone`."""
    return BusinessHours.parse("Mon-Fri 09:00-17:00", zone, holidays)


# --- is_open -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (utc(2026, 1, 12, 8, 59, 59), False),  # Monday, a second before opening
        (utc(2026, 1, 12, 9, 0), True),  # opening instant is open
        (utc(2026, 1, 12, 16, 59, 59), True),
        (utc(2026, 1, 12, 17, 0), False),  # closing instant is closed
        (utc(2026, 1, 17, 12, 0), False),  # Saturday
        (utc(2026, 1, 18, 12, 0), False),  # Sunday
    ],
)
def test_is_open_in_utc(at: datetime, expected: bool) -> None:
    assert office().is_open(at) is expected


def test_is_open_accepts_instants_in_any_time_zone() -> None:
    # 10:00 in New York (UTC-5 in January) is 15:00 UTC: open; 13:00 in New York is 18:00 UTC: closed.
    new_york = ZoneInfo("America/New_York")
    assert office().is_open(datetime(2026, 1, 12, 10, 0, tzinfo=new_york))
    assert not office().is_open(datetime(2026, 1, 12, 13, 0, tzinfo=new_york))


# --- next_open -----------------------------------------------------------------------------------------------------


def test_next_open_when_open_is_now() -> None:
    assert office().next_open(utc(2026, 1, 13, 11, 30)) == utc(2026, 1, 13, 11, 30)


def test_next_open_after_closing_is_next_morning() -> None:
    # Tuesday 17:00 (closing) -> Wednesday 09:00.
    assert office().next_open(utc(2026, 1, 13, 17, 0)) == utc(2026, 1, 14, 9, 0)


def test_next_open_before_opening_is_the_same_morning() -> None:
    assert office().next_open(utc(2026, 1, 13, 6, 15)) == utc(2026, 1, 13, 9, 0)


def test_next_open_over_a_weekend() -> None:
    # Friday 18:00 -> Monday 09:00.
    assert office().next_open(utc(2026, 1, 16, 18, 0)) == utc(2026, 1, 19, 9, 0)
    # Saturday noon -> Monday 09:00.
    assert office().next_open(utc(2026, 1, 17, 12, 0)) == utc(2026, 1, 19, 9, 0)


def test_next_open_over_holidays() -> None:
    # Christmas 2026 is a Friday; Monday Dec 28 is the substitute holiday. Thursday 18:00 -> Tuesday Dec 29 09:00.
    hours = office(holidays="2026-12-25, 2026-12-28")
    assert hours.next_open(utc(2026, 12, 24, 18, 0)) == utc(2026, 12, 29, 9, 0)
    assert not hours.is_open(utc(2026, 12, 25, 12, 0))
    assert not hours.is_open(utc(2026, 12, 28, 12, 0))
    assert hours.is_open(utc(2026, 12, 29, 12, 0))


def test_next_open_is_given_in_the_desks_time_zone() -> None:
    # Saturday March 28, 12:00 UTC -> Monday March 30 09:00 BST, which is 08:00 UTC.
    opened = office("Europe/London").next_open(utc(2026, 3, 28, 12, 0))
    assert opened == utc(2026, 3, 30, 8, 0)
    assert opened.tzinfo == LONDON
    assert (opened.hour, opened.utcoffset()) == (9, timedelta(hours=1))


# --- add -----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "duration", "expected"),
    [
        # Inside one day: Monday 10:00 + 3h = 13:00.
        (utc(2026, 1, 12, 10, 0), timedelta(hours=3), utc(2026, 1, 12, 13, 0)),
        # Exactly to closing: Monday 09:00 + 8h = Monday 17:00.
        (utc(2026, 1, 12, 9, 0), timedelta(hours=8), utc(2026, 1, 12, 17, 0)),
        # Over a night: Tuesday 15:00 + 4h = 2h Tuesday + 2h Wednesday = Wednesday 11:00.
        (utc(2026, 1, 13, 15, 0), timedelta(hours=4), utc(2026, 1, 14, 11, 0)),
        # Over a weekend: Friday 16:00 + 3h = 1h Friday + 2h Monday = Monday 11:00.
        (utc(2026, 1, 16, 16, 0), timedelta(hours=3), utc(2026, 1, 19, 11, 0)),
        # Started on a Saturday: the clock starts Monday 09:00; + 1h30 = 10:30.
        (utc(2026, 1, 17, 10, 0), timedelta(hours=1, minutes=30), utc(2026, 1, 19, 10, 30)),
        # Started before opening: Monday 07:00 + 30 min = Monday 09:30.
        (utc(2026, 1, 12, 7, 0), timedelta(minutes=30), utc(2026, 1, 12, 9, 30)),
        # A working week: Monday 09:00 + 40h = Friday 17:00.
        (utc(2026, 1, 12, 9, 0), timedelta(hours=40), utc(2026, 1, 16, 17, 0)),
        # Three days of 8h: Monday 09:00 + 24h = Wednesday 17:00.
        (utc(2026, 1, 12, 9, 0), timedelta(hours=24), utc(2026, 1, 14, 17, 0)),
    ],
)
def test_add_in_utc(start: datetime, duration: timedelta, expected: datetime) -> None:
    assert office().add(start, duration) == expected


def test_add_skips_holidays() -> None:
    # Thursday Dec 24 16:00 + 3h: 1h Thursday; Fri 25 (holiday), weekend, Mon 28 (holiday); 2h Tuesday -> 11:00.
    hours = office(holidays="2026-12-25,2026-12-28")
    assert hours.add(utc(2026, 12, 24, 16, 0), timedelta(hours=3)) == utc(2026, 12, 29, 11, 0)


def test_add_over_easter_in_london() -> None:
    # Good Friday April 3 and Easter Monday April 6 2026 are holidays; London is on BST (UTC+1).
    # Thursday April 2 16:00 BST (15:00 UTC) + 3h: 1h Thursday, then Tuesday April 7 09:00 BST + 2h = 11:00 BST.
    hours = office("Europe/London", "2026-04-03,2026-04-06")
    assert hours.add(utc(2026, 4, 2, 15, 0), timedelta(hours=3)) == utc(2026, 4, 7, 10, 0)


# --- elapsed -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        # Within one day.
        (utc(2026, 1, 12, 10, 0), utc(2026, 1, 12, 12, 30), timedelta(hours=2, minutes=30)),
        # Friday 16:00 -> Monday 10:00: 1h + 1h.
        (utc(2026, 1, 16, 16, 0), utc(2026, 1, 19, 10, 0), timedelta(hours=2)),
        # Saturday -> Sunday: nothing.
        (utc(2026, 1, 17, 8, 0), utc(2026, 1, 18, 20, 0), timedelta()),
        # A whole week, Monday 00:00 -> next Monday 00:00: 5 x 8h.
        (utc(2026, 1, 12, 0, 0), utc(2026, 1, 19, 0, 0), timedelta(hours=40)),
        # End before start: zero, never negative.
        (utc(2026, 1, 13, 12, 0), utc(2026, 1, 12, 12, 0), timedelta()),
    ],
)
def test_elapsed_in_utc(start: datetime, end: datetime, expected: timedelta) -> None:
    assert office().elapsed(start, end) == expected


def test_elapsed_skips_holidays() -> None:
    # Thursday Dec 24 16:00 -> Tuesday Dec 29 11:00 with Dec 25 and 28 off: 1h + 2h.
    hours = office(holidays="2026-12-25,2026-12-28")
    assert hours.elapsed(utc(2026, 12, 24, 16, 0), utc(2026, 12, 29, 11, 0)) == timedelta(hours=3)


# --- daylight saving time in Europe/London ---------------------------------------------------------------------------


def test_opening_follows_local_time_across_the_spring_change() -> None:
    london = office("Europe/London")
    # Friday March 27 is GMT: 09:00 local = 09:00 UTC. Monday March 30 is BST: 09:00 local = 08:00 UTC.
    assert not london.is_open(utc(2026, 3, 27, 8, 30))
    assert london.is_open(utc(2026, 3, 30, 8, 30))
    assert london.is_open(utc(2026, 3, 30, 15, 30))  # 16:30 BST
    assert not london.is_open(utc(2026, 3, 30, 16, 30))  # 17:30 BST


def test_add_across_the_spring_change() -> None:
    # Friday March 27 16:00 GMT + 2h: 1h Friday, then Monday 09:00 BST (08:00 UTC) + 1h = 09:00 UTC.
    assert office("Europe/London").add(utc(2026, 3, 27, 16, 0), timedelta(hours=2)) == utc(2026, 3, 30, 9, 0)


def test_add_across_the_autumn_change() -> None:
    # Friday October 23 16:00 BST (15:00 UTC) + 2h: 1h Friday, then Monday 09:00 GMT + 1h = 10:00 UTC.
    assert office("Europe/London").add(utc(2026, 10, 23, 15, 0), timedelta(hours=2)) == utc(2026, 10, 26, 10, 0)


def test_sunday_of_the_spring_change_has_23_hours() -> None:
    # Open all Sunday: local midnight (00:00 UTC, GMT) to the next local midnight (23:00 UTC, BST).
    sundays = BusinessHours.parse("Sun 00:00-24:00", "Europe/London")
    assert sundays.elapsed(utc(2026, 3, 28, 0, 0), utc(2026, 3, 31, 0, 0)) == timedelta(hours=23)
    assert sundays.is_open(utc(2026, 3, 29, 22, 59))
    assert not sundays.is_open(utc(2026, 3, 29, 23, 0))  # already Monday 00:00 BST


def test_sunday_of_the_autumn_change_has_25_hours() -> None:
    # Local midnight is Saturday 23:00 UTC (BST); the next local midnight is Monday 00:00 UTC (GMT).
    sundays = BusinessHours.parse("Sun 00:00-24:00", "Europe/London")
    assert sundays.elapsed(utc(2026, 10, 24, 0, 0), utc(2026, 10, 27, 0, 0)) == timedelta(hours=25)
    assert sundays.is_open(utc(2026, 10, 24, 23, 0))
    assert not sundays.is_open(utc(2026, 10, 24, 22, 59))


def test_opening_hours_that_contain_the_change() -> None:
    # Sun 00:00-03:00 local. Spring: 00:00 GMT (00:00 UTC) to 03:00 BST (02:00 UTC) = 2h.
    # Autumn: 00:00 BST (Sat 23:00 UTC) to 03:00 GMT (03:00 UTC) = 4h.
    night = BusinessHours.parse("Sun 00:00-03:00", "Europe/London")
    assert night.elapsed(utc(2026, 3, 28, 0, 0), utc(2026, 3, 30, 0, 0)) == timedelta(hours=2)
    assert night.elapsed(utc(2026, 10, 24, 0, 0), utc(2026, 10, 26, 0, 0)) == timedelta(hours=4)
    assert night.add(utc(2026, 3, 28, 12, 0), timedelta(hours=1, minutes=30)) == utc(2026, 3, 29, 1, 30)
    assert night.add(utc(2026, 10, 24, 12, 0), timedelta(hours=3, minutes=30)) == utc(2026, 10, 25, 2, 30)


# --- time zones far from UTC ---------------------------------------------------------------------------------------


def test_auckland_opens_while_utc_is_still_on_sunday() -> None:
    auckland = office("Pacific/Auckland")
    # Monday Jan 12 09:00 NZDT = Sunday Jan 11 20:00 UTC.
    assert not auckland.is_open(utc(2026, 1, 11, 19, 59))
    assert auckland.is_open(utc(2026, 1, 11, 20, 0))
    # Friday Jan 16 17:00 NZDT = Friday 04:00 UTC: closed from then until Monday Jan 19 09:00 NZDT (Sun 20:00 UTC).
    assert not auckland.is_open(utc(2026, 1, 16, 4, 0))
    assert auckland.next_open(utc(2026, 1, 16, 5, 0)) == utc(2026, 1, 18, 20, 0)


def test_auckland_add_and_elapsed() -> None:
    auckland = office("Pacific/Auckland")
    # Friday 16:00 NZDT (03:00 UTC) + 2h: 1h Friday, then Monday 09:00 NZDT + 1h = Sunday 21:00 UTC.
    assert auckland.add(utc(2026, 1, 16, 3, 0), timedelta(hours=2)) == utc(2026, 1, 18, 21, 0)
    assert auckland.elapsed(utc(2026, 1, 16, 3, 0), utc(2026, 1, 18, 21, 0)) == timedelta(hours=2)


def test_los_angeles_is_open_while_utc_is_on_saturday() -> None:
    la = office("America/Los_Angeles")
    # Friday Jan 16 16:30 PST = Saturday Jan 17 00:30 UTC.
    assert la.is_open(utc(2026, 1, 17, 0, 30))
    # Friday 17:00 PST = Saturday 01:00 UTC.
    assert not la.is_open(utc(2026, 1, 17, 1, 0))
    # Monday Jan 12 08:00 PST = 16:00 UTC: not yet open, though it is past 09:00 in UTC.
    assert not la.is_open(utc(2026, 1, 12, 16, 0))


def test_los_angeles_add_over_the_weekend() -> None:
    # Friday 16:00 PST (Sat 00:00 UTC) + 2h: 1h Friday, Monday 09:00 PST (17:00 UTC) + 1h = 18:00 UTC.
    la = office("America/Los_Angeles")
    due = la.add(utc(2026, 1, 17, 0, 0), timedelta(hours=2))
    assert due == utc(2026, 1, 19, 18, 0)
    assert (due.hour, due.utcoffset()) == (10, timedelta(hours=-8))


# --- schedules -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("spec", ["24x7", "24/7", "Mon-Sun 00:00-24:00"])
def test_24x7_is_always_open_and_counts_wall_time(spec: str) -> None:
    always = BusinessHours.parse(spec, "Europe/London")
    assert always.is_open(utc(2026, 1, 17, 3, 0))
    assert always.is_open(utc(2026, 3, 29, 1, 30))  # during the spring change
    assert always.next_open(utc(2026, 1, 17, 3, 0)) == utc(2026, 1, 17, 3, 0)
    assert always.add(utc(2026, 1, 16, 22, 0), timedelta(hours=30)) == utc(2026, 1, 18, 4, 0)
    # Across the spring change, business time is elapsed time: Saturday 12:00 UTC + 24h = Sunday 12:00 UTC.
    assert always.add(utc(2026, 3, 28, 12, 0), timedelta(hours=24)) == utc(2026, 3, 29, 12, 0)
    assert always.elapsed(utc(2026, 10, 24, 12, 0), utc(2026, 10, 26, 12, 0)) == timedelta(hours=48)


def test_several_ranges_per_day() -> None:
    split = BusinessHours.parse("Mon-Fri 09:00-12:00,13:00-17:00", "UTC")
    assert split.is_open(utc(2026, 1, 12, 11, 59))
    assert not split.is_open(utc(2026, 1, 12, 12, 30))  # lunch
    assert split.next_open(utc(2026, 1, 12, 12, 30)) == utc(2026, 1, 12, 13, 0)
    # 11:00 + 2h = 1h before lunch + 1h after = 14:00.
    assert split.add(utc(2026, 1, 12, 11, 0), timedelta(hours=2)) == utc(2026, 1, 12, 14, 0)
    # A day holds 7h: Monday 09:00 + 7h = Monday 17:00; + 8h = Tuesday 10:00.
    assert split.add(utc(2026, 1, 12, 9, 0), timedelta(hours=8)) == utc(2026, 1, 13, 10, 0)
    assert split.elapsed(utc(2026, 1, 12, 11, 0), utc(2026, 1, 12, 14, 0)) == timedelta(hours=2)


def test_ranges_given_out_of_order_are_sorted() -> None:
    split = BusinessHours.parse("Mon-Fri 13:00-17:00,09:00-12:00", "UTC")
    assert split.add(utc(2026, 1, 12, 8, 0), timedelta(hours=4)) == utc(2026, 1, 12, 14, 0)


def test_day_range_wrapping_around_the_week() -> None:
    # Fri-Mon means Friday, Saturday, Sunday and Monday; Tuesday to Thursday are closed.
    weekend_shift = BusinessHours.parse("Fri-Mon 10:00-14:00", "UTC")
    assert weekend_shift.is_open(utc(2026, 1, 17, 11, 0))  # Saturday
    assert weekend_shift.is_open(utc(2026, 1, 18, 11, 0))  # Sunday
    assert weekend_shift.is_open(utc(2026, 1, 12, 11, 0))  # Monday
    assert not weekend_shift.is_open(utc(2026, 1, 14, 11, 0))  # Wednesday
    # Tuesday noon -> Friday 10:00.
    assert weekend_shift.next_open(utc(2026, 1, 13, 12, 0)) == utc(2026, 1, 16, 10, 0)
    # Monday 13:00 + 2h: 1h Monday, then Friday 10:00 + 1h = 11:00.
    assert weekend_shift.add(utc(2026, 1, 12, 13, 0), timedelta(hours=2)) == utc(2026, 1, 16, 11, 0)


def test_several_segments() -> None:
    hours = BusinessHours.parse("Mon-Fri 09:00-17:00; Sat 10:00-14:00", "UTC")
    assert hours.is_open(utc(2026, 1, 17, 10, 30))
    assert not hours.is_open(utc(2026, 1, 18, 10, 30))
    # Friday 16:00 + 2h: 1h Friday, Saturday 10:00 + 1h = 11:00.
    assert hours.add(utc(2026, 1, 16, 16, 0), timedelta(hours=2)) == utc(2026, 1, 17, 11, 0)


@pytest.mark.parametrize(
    ("spec", "zone", "holidays", "message"),
    [
        ("Mon-Fri 09:00-17:00", "Mars/Base", "", "unknown time zone"),
        ("Someday 09:00-17:00", "UTC", "", "unknown day"),
        ("Mon-Fri 9-5", "UTC", "", "bad time range"),
        ("Mon-Fri 17:00-09:00", "UTC", "", "ends before it starts"),
        ("Mon-Fri 09:00-24:30", "UTC", "", "bad time range"),
        ("", "UTC", "", "no opening hours"),
        ("Mon-Fri 09:00-17:00", "UTC", "2026-13-01", "bad holiday date"),
    ],
)
def test_parse_refuses_bad_specs(spec: str, zone: str, holidays: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        BusinessHours.parse(spec, zone, holidays)
