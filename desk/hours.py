"""The partner's business hours: weekly schedule, time zone and holidays, and business-time arithmetic."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import combinations
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_RANGE = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")
# Business time is searched at most this far ahead; a schedule with no open hour is refused at parse time.
_HORIZON_DAYS = 800
# A daylight-saving change shortens at most one day's hours; a horizon holds at most this many (two a year).
_DST_CHANGES = 5

Interval = tuple[time, time]


@dataclass(frozen=True)
class BusinessHours:
    """Weekly opening hours in one time zone, closed on holidays."""

    timezone: ZoneInfo
    weekly: tuple[tuple[Interval, ...], ...]  # index 0 = Monday
    holidays: frozenset[date] = frozenset()

    @classmethod
    def parse(cls, spec: str, timezone: str, holidays: str = "") -> BusinessHours:
        """Parse e.g. ``"Mon-Fri 09:00-17:30; Sat 10:00-14:00"`` or ``"24x7"``; raises ValueError."""
        try:
            zone = ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {timezone!r}") from None
        return cls(zone, _parse_weekly(spec), _parse_holidays(holidays))

    def is_open(self, at: datetime) -> bool:
        """Whether the desk is open at the instant `at` (timezone-aware)."""
        return any(start <= at < end for start, end in self._intervals_around(at))

    def next_open(self, at: datetime) -> datetime:
        """The first open instant at or after `at` (returned in the desk's time zone)."""
        for start, end in self._intervals_from(at):
            if end > at:
                return max(start, at).astimezone(self.timezone)
        raise ValueError("no business hours ahead")  # unreachable: parse refuses empty schedules

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The instant reached after `duration` of business time counted from `start` (`start` itself for none,
        even at closing time: no business time passes, so nothing moves to the next opening)."""
        if duration <= timedelta(0):
            return start.astimezone(self.timezone)
        remaining = duration
        reached = start  # business time before this instant is counted: an interval never starts earlier
        for begin, end in self._intervals_from(start):
            begin = max(begin, reached)
            if begin >= end:
                continue
            if begin + remaining <= end:
                return (begin + remaining).astimezone(self.timezone)
            remaining -= end - begin
            reached = end
        raise ValueError("duration exceeds the business-hours horizon")

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        """Business time between two instants (zero when `end` is before `start`)."""
        total = timedelta()
        counted = start
        for begin, finish in self._intervals_from(start):
            if begin >= end:
                break
            begin, stop = max(begin, counted), min(finish, end)
            if stop > begin:
                total += stop - begin
                counted = stop
        return total

    def before(self, end: datetime, duration: timedelta) -> datetime:
        """The earliest instant from which at most `duration` of business time is left until `end`: `elapsed(t, end)
        <= duration` holds for every `t` at or after it and for none before. Closed time just before the instant
        counts for nothing, so it is the end of an opening when the duration fills whole openings. Beyond the
        horizon, the horizon's start (earlier than needed, never later)."""
        remaining = max(duration, timedelta())
        floor = end  # business time at or after this instant is counted already
        for begin, finish in self._intervals_back(end):
            finish = min(finish, floor)
            if begin >= finish:
                continue
            if remaining < finish - begin:
                return (finish - remaining).astimezone(self.timezone)
            remaining -= finish - begin
            floor = begin
        return (end - timedelta(days=_HORIZON_DAYS)).astimezone(self.timezone)

    def schedulable(self) -> timedelta:
        """Business time `add` can count from any start: the horizon's full weeks, less every holiday and
        daylight-saving change each taken as the longest day (a lower bound, so SLA targets can be checked)."""
        days = [sum((_length(opens, closes) for opens, closes in day), timedelta()) for day in self.weekly]
        weeks = (_HORIZON_DAYS - 2) // 7  # the local days after the start's own day
        lost = max(days) * (len(self.holidays) + _DST_CHANGES)
        return max(timedelta(), sum(days, timedelta()) * weeks - lost)

    def _intervals_around(self, at: datetime) -> Iterator[tuple[datetime, datetime]]:
        yield from self._intervals_from(at - timedelta(days=1), days=3)

    def _intervals_back(self, at: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Open intervals in UTC, latest first, starting on the local day after `at`."""
        last = at.astimezone(self.timezone).date() + timedelta(days=1)
        for offset in range(_HORIZON_DAYS):
            day = last - timedelta(days=offset)
            if day in self.holidays:
                continue
            for opens, closes in reversed(self.weekly[day.weekday()]):
                yield _utc(day, opens, self.timezone), _utc_end(day, closes, self.timezone)

    def _intervals_from(self, at: datetime, days: int = _HORIZON_DAYS) -> Iterator[tuple[datetime, datetime]]:
        """Open intervals in UTC, in order, starting on the local day before `at`."""
        first = at.astimezone(self.timezone).date() - timedelta(days=1)
        for offset in range(days):
            day = first + timedelta(days=offset)
            if day in self.holidays:
                continue
            for opens, closes in self.weekly[day.weekday()]:
                yield _utc(day, opens, self.timezone), _utc_end(day, closes, self.timezone)


def _utc(day: date, moment: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, moment, tzinfo=zone).astimezone(UTC)


def _utc_end(day: date, moment: time, zone: ZoneInfo) -> datetime:
    if moment == time.max:
        return datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone).astimezone(UTC)
    return _utc(day, moment, zone)


def _length(opens: time, closes: time) -> timedelta:
    end = timedelta(days=1) if closes == time.max else timedelta(hours=closes.hour, minutes=closes.minute)
    return end - timedelta(hours=opens.hour, minutes=opens.minute)


def _parse_weekly(spec: str) -> tuple[tuple[Interval, ...], ...]:
    weekly: list[list[tuple[int, Interval]]] = [[] for _ in DAYS]  # (segment number, range) per day
    text = spec.strip().lower()
    if text in {"24x7", "24/7"}:
        text = "mon-sun 00:00-24:00"
    for number, segment in enumerate(filter(None, (part.strip() for part in text.split(";")))):
        day_part, _, ranges = segment.partition(" ")
        parsed = [_parse_range(item.strip()) for item in ranges.split(",") if item.strip()]
        for day in _parse_days(day_part):
            weekly[day].extend((number, interval) for interval in parsed)
    if not any(weekly):
        raise ValueError(f"no opening hours in {spec!r} (expected e.g. 'Mon-Fri 09:00-17:00')")
    return tuple(_merge(DAYS[index], ranges, spec) for index, ranges in enumerate(weekly))


def _merge(day: str, ranges: list[tuple[int, Interval]], spec: str) -> tuple[Interval, ...]:
    """One day's ranges, sorted, overlapping or touching ones joined. Overlapping ranges from two segments are
    refused: "Mon-Fri 09:00-17:00; Fri 09:00-13:00" may mean a shorter Friday as well as the union."""
    for (one, (opens, closes)), (other, (opens2, closes2)) in combinations(ranges, 2):
        if one != other and opens < closes2 and opens2 < closes:
            raise ValueError(
                f"{day.title()} has overlapping hours in two parts of {spec!r} "
                "(give each day's hours once, e.g. 'Mon-Thu 09:00-17:00; Fri 09:00-13:00')"
            )
    merged: list[Interval] = []
    for opens, closes in sorted(interval for _, interval in ranges):
        if merged and opens <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], closes))
        else:
            merged.append((opens, closes))
    return tuple(merged)


def _parse_days(text: str) -> list[int]:
    days: list[int] = []
    for item in text.split(","):
        first, _, last = item.partition("-")
        if first not in DAYS or (last and last not in DAYS):
            raise ValueError(f"unknown day in {text!r} (use Mon..Sun)")
        start, end = DAYS.index(first), DAYS.index(last or first)
        days.extend(range(start, end + 1) if start <= end else [*range(start, 7), *range(0, end + 1)])
    return days


def _parse_range(text: str) -> Interval:
    match = _RANGE.match(text)
    if not match:
        raise ValueError(f"bad time range {text!r} (expected HH:MM-HH:MM)")
    h1, m1, h2, m2 = (int(group) for group in match.groups())
    if h1 > 23 or m1 > 59 or m2 > 59 or h2 > 24 or (h2 == 24 and m2):
        raise ValueError(f"bad time range {text!r}")
    opens = time(h1, m1)
    closes = time.max if h2 == 24 else time(h2, m2)
    if closes <= opens:
        raise ValueError(f"time range {text!r} ends before it starts")
    return opens, closes


def _parse_holidays(text: str) -> frozenset[date]:
    holidays = set()
    for item in filter(None, (part.strip() for part in text.split(","))):
        try:
            holidays.add(date.fromisoformat(item))
        except ValueError:
            raise ValueError(f"bad holiday date {item!r} (expected YYYY-MM-DD)") from None
    return frozenset(holidays)
