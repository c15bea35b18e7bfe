"""The retry policy: Retry-After parsing, which answers are retried, how long we wait, when we give up."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import httpx
import pytest

from msapi.retry import RetryPolicy, retry_after_seconds, send_with_retries
from tests.support.timing import Sleeps

# Default policy: base 1 s doubling, +/-20% jitter, so retry n waits within [0.8, 1.2] * 2**(n-1) seconds.
JITTERED = [(0.8, 1.2), (1.6, 2.4), (3.2, 4.8), (6.4, 9.6)]


def answer(status: int, retry_after: str | None = None) -> httpx.Response:
    """A response with an optional Retry-After header."""
    return httpx.Response(status, headers={"Retry-After": retry_after} if retry_after is not None else {})


class Script:
    """A `send` that plays back responses (or raises exceptions) in order, counting calls."""

    def __init__(self, outcomes: Sequence[httpx.Response | Exception]) -> None:
        self._outcomes = list(outcomes)
        self.calls = 0

    async def __call__(self) -> httpx.Response:
        outcome = self._outcomes[min(self.calls, len(self._outcomes) - 1)]
        self.calls += 1
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


# --- retry_after_seconds -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("7", 7.0),
        (" 120 ", 120.0),
        ("0", 0.0),
        ("2.128", 2.128),  # Microsoft Graph sends fractional seconds
        ("0.5", 0.5),
    ],
)
def test_retry_after_in_seconds(header: str, seconds: float) -> None:
    assert retry_after_seconds(answer(429, header)) == pytest.approx(seconds)


@pytest.mark.parametrize(
    "header",
    [
        "Wed, 21 Oct 2015 07:28:00 GMT",  # IMF-fixdate
        "Wednesday, 21-Oct-15 07:28:00 GMT",  # obsolete RFC 850 form
        "Wed Oct 21 07:28:00 2015",  # obsolete asctime form, no zone: GMT by definition
    ],
)
def test_retry_after_as_http_date(header: str) -> None:
    now = datetime(2015, 10, 21, 7, 27, 30, tzinfo=UTC)  # 30 s before the date in the header
    assert retry_after_seconds(answer(503, header), now=now) == pytest.approx(30.0)


def test_retry_after_date_in_the_past_is_zero() -> None:
    now = datetime(2015, 10, 21, 8, 0, tzinfo=UTC)
    assert retry_after_seconds(answer(429, "Wed, 21 Oct 2015 07:28:00 GMT"), now=now) == 0.0


@pytest.mark.parametrize("header", [None, "", "soon", "-5", "nan", "inf"])
def test_retry_after_missing_or_unusable_is_none(header: str | None) -> None:
    assert retry_after_seconds(answer(429, header)) is None


# --- backoff -------------------------------------------------------------------------------------------------------


def test_backoff_doubles_within_jitter_and_is_capped() -> None:
    policy = RetryPolicy(base_delay=1.0, max_delay=30.0, jitter=0.2)

    assert policy.backoff(1, rand=lambda: 0.5) == pytest.approx(1.0)
    assert policy.backoff(1, rand=lambda: 0.0) == pytest.approx(0.8)
    assert policy.backoff(1, rand=lambda: 1.0) == pytest.approx(1.2)
    assert policy.backoff(3, rand=lambda: 0.5) == pytest.approx(4.0)
    assert policy.backoff(10, rand=lambda: 0.5) == pytest.approx(30.0)  # 512 s capped at 30
    assert policy.backoff(10, rand=lambda: 1.0) == pytest.approx(36.0)  # jitter applies to the capped delay


# --- send_with_retries ---------------------------------------------------------------------------------------------


async def test_429_waits_retry_after_then_succeeds() -> None:
    send, sleeps = Script([answer(429, "3"), answer(200)]), Sleeps()

    response = await send_with_retries(send, RetryPolicy(), sleeps)

    assert response.status_code == 200
    assert send.calls == 2
    assert sleeps.waits == [3.0]


async def test_429_with_fractional_retry_after_waits_that_long() -> None:
    send, sleeps = Script([answer(429, "2.128"), answer(200)]), Sleeps()

    response = await send_with_retries(send, RetryPolicy(), sleeps)

    assert response.status_code == 200
    assert sleeps.waits == [pytest.approx(2.128)]


async def test_503_with_retry_after_waits_that_long() -> None:
    send, sleeps = Script([answer(503, "7"), answer(200)]), Sleeps()

    response = await send_with_retries(send, RetryPolicy(), sleeps)

    assert response.status_code == 200
    assert sleeps.waits == [7.0]


async def test_429_without_retry_after_backs_off() -> None:
    send, sleeps = Script([answer(429), answer(200)]), Sleeps()

    await send_with_retries(send, RetryPolicy(), sleeps)

    low, high = JITTERED[0]
    assert len(sleeps.waits) == 1
    assert low <= sleeps.waits[0] <= high


async def test_server_errors_back_off_with_growing_delays() -> None:
    send = Script([answer(503), answer(502), answer(504), answer(500), answer(200)])
    sleeps = Sleeps()

    response = await send_with_retries(send, RetryPolicy(attempts=5), sleeps)

    assert response.status_code == 200
    assert send.calls == 5
    assert len(sleeps.waits) == 4
    for wait, (low, high) in zip(sleeps.waits, JITTERED, strict=True):
        assert low <= wait <= high
    assert sleeps.waits == sorted(sleeps.waits)


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409])
async def test_client_errors_are_not_retried(status: int) -> None:
    send, sleeps = Script([answer(status), answer(200)]), Sleeps()

    response = await send_with_retries(send, RetryPolicy(), sleeps)

    assert response.status_code == status
    assert send.calls == 1
    assert sleeps.waits == []


async def test_attempts_are_bounded_and_the_last_answer_is_returned() -> None:
    send, sleeps = Script([answer(503)]), Sleeps()

    response = await send_with_retries(send, RetryPolicy(attempts=3), sleeps)

    assert response.status_code == 503
    assert send.calls == 3
    assert len(sleeps.waits) == 2  # no wait after the last attempt


async def test_transport_errors_are_retried() -> None:
    request = httpx.Request("GET", "https://api.partnercenter.microsoft.com/v1/customers")
    send = Script(
        [httpx.ConnectError("refused", request=request), httpx.ReadTimeout("slow", request=request), answer(200)]
    )
    sleeps = Sleeps()

    response = await send_with_retries(send, RetryPolicy(attempts=4), sleeps)

    assert response.status_code == 200
    assert send.calls == 3
    assert len(sleeps.waits) == 2
    for wait, (low, high) in zip(sleeps.waits, JITTERED[:2], strict=True):
        assert low <= wait <= high


async def test_transport_errors_are_reraised_when_attempts_run_out() -> None:
    request = httpx.Request("GET", "https://graph.microsoft.com/v1.0/users")
    send, sleeps = Script([httpx.ConnectError("refused", request=request)]), Sleeps()

    with pytest.raises(httpx.ConnectError):
        await send_with_retries(send, RetryPolicy(attempts=3), sleeps)

    assert send.calls == 3
    assert len(sleeps.waits) == 2


async def test_retry_after_above_the_limit_is_not_waited() -> None:
    send, sleeps = Script([answer(429, "600"), answer(200)]), Sleeps()

    response = await send_with_retries(send, RetryPolicy(max_retry_after=120), sleeps)

    assert response.status_code == 429  # the caller decides what to do
    assert send.calls == 1
    assert sleeps.waits == []


async def test_retry_after_at_the_limit_is_waited() -> None:
    send, sleeps = Script([answer(429, "120"), answer(200)]), Sleeps()

    response = await send_with_retries(send, RetryPolicy(max_retry_after=120), sleeps)

    assert response.status_code == 200
    assert sleeps.waits == [120.0]
