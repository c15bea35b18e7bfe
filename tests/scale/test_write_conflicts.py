"""Two instances writing the same rows at once on PostgreSQL: SERIALIZABLE fails one of the two transactions with a
serialization failure, and the store runs that unit of work again; neither caller sees an error."""

from __future__ import annotations

import asyncio
import threading

from desk.store.database import Cx, open_database
from tests.scale.cluster import new_database
from tests.support.pg_server import PostgresServer


async def test_a_serialization_failure_between_two_instances_is_retried_not_reported_as_an_outage(
    postgres: PostgresServer,
) -> None:
    url = new_database(postgres.url)
    first, second = await open_database(url, pool_size=2), await open_database(url, pool_size=2)
    try:
        await first.run(lambda cx: cx.execute("INSERT INTO meta (key, value) VALUES ('counter', '0')"))
        both_read = threading.Barrier(2, timeout=10)

        def increment(attempts: list[int]) -> int:
            def work(cx: Cx) -> int:
                attempts.append(1)
                row = cx.one("SELECT value FROM meta WHERE key = 'counter'")
                assert row is not None
                if len(attempts) == 1:
                    both_read.wait()  # each first attempt reads before either writes: they conflict
                value = int(row["value"]) + 1
                cx.execute("UPDATE meta SET value = ? WHERE key = 'counter'", (str(value),))
                return value

            return work  # type: ignore[return-value]

        attempts_a: list[int] = []
        attempts_b: list[int] = []
        async with asyncio.timeout(30):
            results = await asyncio.gather(first.run(increment(attempts_a)), second.run(increment(attempts_b)))

        assert sorted(results) == [1, 2]
        assert sorted([len(attempts_a), len(attempts_b)]) == [1, 2], "the loser ran again"
        final = await first.read(lambda cx: cx.one("SELECT value FROM meta WHERE key = 'counter'"))
        assert final == {"value": "2"}
    finally:
        await first.close()
        await second.close()
