"""The fan-out benchmark's core at a tiny size: one notice to each of 45 chats of one tenant (two of Teams' 1-second
tenant windows) against the connector that enforces Teams' limits and refuses some sends at random. Checked as the
benchmark checks it, not timed."""

from bench.fanout import run_once
from bench.fanout_floor import floor_seconds
from bot.outbox.send_policy import TENANT_LIMITS
from tests.support.engines import engine


async def test_each_chat_gets_its_notice_once_and_teams_limits_hold():
    result = await run_once(engine(), chats=45, tenants=1, random_429=0.1, seed=7)

    assert (result.lost, result.duplicated, result.failed_rows) == (0, 0, 0)
    assert result.random_429 > 0  # retries after Retry-After were exercised
    assert result.limit_429 == 0  # the desk never sent faster than Teams counts
    assert (result.connector_over, result.desk_over) == ([], [])  # as the connector saw the sends, as the desk did
    assert result.requests == result.messages + result.random_429
    assert result.floor >= 1.0  # 45 sends and their retries need a second window


def test_the_floor_is_whole_tenant_windows_plus_a_retry_after_for_a_refusal_among_the_last():
    chats = [f"chat-{n}" for n in range(61)]
    never: set[tuple[str, int]] = set()

    def refused_in(refusals: set[tuple[str, int]]):
        return lambda chat, attempt: (chat, attempt) in refusals

    assert floor_seconds({"t": chats[:30]}, refused_in(never), TENANT_LIMITS, 1.0) == 0.0
    assert floor_seconds({"t": chats[:60]}, refused_in(never), TENANT_LIMITS, 1.0) == 1.0
    assert floor_seconds({"t": chats}, refused_in(never), TENANT_LIMITS, 1.0) == 2.0
    # A refusal early on costs one more send; one in the last window, its Retry-After.
    assert floor_seconds({"t": chats[:60]}, refused_in({("chat-0", 0)}), TENANT_LIMITS, 1.0) == 2.0
    assert floor_seconds({"t": chats[:30]}, refused_in({("chat-29", 0)}), TENANT_LIMITS, 1.0) == 1.0
    # Tenants do not share a window.
    assert floor_seconds({"a": chats[:30], "b": chats[30:60]}, refused_in(never), TENANT_LIMITS, 1.0) == 0.0
