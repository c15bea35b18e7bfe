"""The fan-out benchmark's core at a tiny size: one notice to each of 45 chats of one tenant (two of Teams' 1-second
tenant windows) against the connector that enforces Teams' limits and refuses some sends at random. Checked as the
benchmark checks it, not timed."""

from bench.fanout import run_once
from tests.support.engines import engine


async def test_each_chat_gets_its_notice_once_and_teams_limits_hold():
    result = await run_once(engine(), chats=45, tenants=1, random_429=0.1, seed=7)

    assert (result.lost, result.duplicated, result.failed_rows) == (0, 0, 0)
    assert result.random_429 > 0  # retries after Retry-After were exercised
    assert result.limit_429 == 0  # the desk never sent faster than Teams counts
    assert result.windows_exceeded == []  # neither as the connector saw the sends, nor as the desk recorded them
    assert result.requests == result.messages + result.random_429
    assert result.floor >= 1.0  # 45 sends and their retries need a second window
