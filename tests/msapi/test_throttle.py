"""ThrottleGate on a clock the test owns (its sleep moves the clock), the Partner Center customer a URL names, and
the retry loop reporting every 429 to the gate."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from msapi.errors import GraphError, MicrosoftApiError, PartnerCenterError
from msapi.retry import RetryPolicy, send_with_retries
from msapi.throttle import Held, Throttled, ThrottleGate, partner_center_customer, throttled_type
from tests.support.timing import Monotonic

A = ("Microsoft Graph", "tenant-a")
B = ("Microsoft Graph", "tenant-b")


class Clock:
    """A monotonic clock and a sleep that moves it, with a hook run during each sleep."""

    def __init__(self) -> None:
        self.time = Monotonic(0.0)
        self.waits: list[float] = []
        self.during: Callable[[], None] | None = None

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        if self.during is not None:
            self.during()
        self.time.now += seconds


def gate_on(clock: Clock) -> ThrottleGate:
    return ThrottleGate(clock=clock.time, sleep=clock.sleep)


async def test_a_held_key_waits_out_the_hold_and_others_pass_at_once() -> None:
    clock = Clock()
    gate = gate_on(clock)
    gate.hold(A, 5)

    await gate.wait([B], ceiling=120)
    assert clock.waits == []
    await gate.wait([A], ceiling=120)
    assert clock.waits == [5.0]
    await gate.wait([A], ceiling=120)
    assert clock.waits == [5.0], "over once waited out"


async def test_a_shorter_hold_does_not_cut_a_longer_one() -> None:
    clock = Clock()
    gate = gate_on(clock)
    gate.hold(A, 30)
    gate.hold(A, 2)

    assert gate.remaining([A]) == 30.0


async def test_a_hold_beyond_the_ceiling_is_refused_without_waiting() -> None:
    clock = Clock()
    gate = gate_on(clock)
    gate.hold(A, 3600)

    with pytest.raises(Held) as caught:
        await gate.wait([A], ceiling=120)

    assert caught.value.seconds == 3600.0
    assert clock.waits == []


async def test_a_hold_extended_while_waiting_is_waited_again_within_the_ceiling_only() -> None:
    clock = Clock()
    gate = gate_on(clock)
    gate.hold(A, 50)
    clock.during = lambda: gate.hold(A, 100)  # while we sleep, another call is told to wait 100 s, again and again

    with pytest.raises(Held):
        await gate.wait([A], ceiling=120)

    assert clock.waits == [50.0, 50.0], "at 100 s waited, 50 s more would pass the 120 s ceiling"


async def test_the_caller_that_slept_through_its_own_hold_is_not_held_again() -> None:
    clock = Monotonic(0.0)
    waits: list[float] = []

    async def sleep(seconds: float) -> None:  # a sleep that does not move the gate's clock
        waits.append(seconds)

    gate = ThrottleGate(clock=clock, sleep=sleep)
    ends = gate.hold(A, 5)

    await gate.wait([A], ceiling=120, waited_out=ends)
    assert waits == []
    gate.hold(A, 9)  # someone else was told to wait longer: that is waited
    await gate.wait([A], ceiling=120, waited_out=ends)
    assert waits == [9.0]


async def test_any_held_key_of_a_request_holds_it() -> None:
    clock = Clock()
    gate = gate_on(clock)
    partner, customer = ("Partner Center", "p"), ("Partner Center", "p", "c")
    gate.hold(customer, 7)

    await gate.wait([("Partner Center", "p"), ("Partner Center", "p", "other")], ceiling=120)
    assert clock.waits == []
    await gate.wait([partner, customer], ceiling=120)
    assert clock.waits == [7.0]


def test_throttled_errors_are_also_the_apis_own() -> None:
    graph, partner_center = throttled_type(GraphError), throttled_type(PartnerCenterError)

    assert issubclass(graph, Throttled) and issubclass(graph, GraphError)
    assert issubclass(partner_center, PartnerCenterError) and not issubclass(partner_center, GraphError)
    assert throttled_type(MicrosoftApiError) is Throttled
    assert str(graph("slow down", status=429)) == "Microsoft Graph: slow down, status 429"
    assert issubclass(graph, MicrosoftApiError)


@pytest.mark.parametrize(
    ("url", "customer"),
    [
        ("https://api.partnercenter.microsoft.com/v1/customers", None),
        ("https://api.partnercenter.microsoft.com/v1/customers?size=100", None),
        ("https://api.partnercenter.microsoft.com/v1/customers/ABC-1/subscriptions", "abc-1"),
        ("https://api.partnercenter.microsoft.com/v1/customers/abc-1", "abc-1"),
        ("http://127.0.0.1:5000/partnercenter/v1/customers/abc-1/servicerequests", "abc-1"),
        ("https://api.partnercenter.microsoft.com/v1/servicerequests/123", None),
        ("https://api.partnercenter.microsoft.com/v1/profiles/support", None),
    ],
)
def test_the_customer_a_partner_center_url_names(url: str, customer: str | None) -> None:
    assert partner_center_customer(url) == customer


# --- the retry loop tells the gate ----------------------------------------------------------------------------------


def answers(*responses: httpx.Response) -> Callable[[], object]:
    queue = list(responses)

    async def send() -> httpx.Response:
        return queue.pop(0)

    return send


async def test_every_429_is_reported_with_the_wait_it_calls_for() -> None:
    reported: list[float] = []
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    send = answers(httpx.Response(429, headers={"Retry-After": "3"}), httpx.Response(429), httpx.Response(200))
    response = await send_with_retries(send, RetryPolicy(jitter=0.0), sleep, reported.append)

    assert response.status_code == 200
    assert reported == waits == [3.0, 2.0], "Retry-After, else the backoff, held for as long as this call waits"


async def test_a_429_beyond_the_ceiling_or_on_the_last_attempt_is_still_reported() -> None:
    reported: list[float] = []

    async def sleep(seconds: float) -> None:
        raise AssertionError("no wait")

    far = await send_with_retries(
        answers(httpx.Response(429, headers={"Retry-After": "3600"})), RetryPolicy(), sleep, reported.append
    )
    last = await send_with_retries(
        answers(httpx.Response(429, headers={"Retry-After": "4"})), RetryPolicy(attempts=1), sleep, reported.append
    )

    assert far.status_code == last.status_code == 429
    assert reported == [3600.0, 4.0]


async def test_a_503_does_not_hold_the_tenant() -> None:
    reported: list[float] = []

    async def sleep(seconds: float) -> None:
        pass

    send = answers(httpx.Response(503, headers={"Retry-After": "2"}), httpx.Response(200))
    await send_with_retries(send, RetryPolicy(), sleep, reported.append)

    assert reported == []


async def test_one_call_waits_at_the_gate_no_longer_than_the_ceiling_in_all() -> None:
    # A hold set anew while the call waits at each pass (other callers' 429s) must not add up past the ceiling.
    from msapi.api import ApiClient

    clock = Clock()
    gate = gate_on(clock)
    policy = RetryPolicy(max_retry_after=120.0)
    sent: list[str] = []

    class Tokens:
        async def token(self, tenant_id: str, scope: str) -> str:
            return "t"

    class Paced(ApiClient):
        error_type = GraphError

        async def before_request(self, tenant_id: str) -> None:
            gate.hold(A, 70.0)  # between its two passes, another caller's 429 holds the tenant again

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(str(request.url))
        return httpx.Response(200, json={})

    gate.hold(A, 70.0)
    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as http:
        client = Paced(http, Tokens(), "https://graph.example", "scope", policy, clock.sleep, gate)  # type: ignore[arg-type]
        with pytest.raises(Throttled):
            await client.call("GET", "/v1.0/x", "tenant-a")

    assert sum(clock.waits) <= 120.0 and sent == []
