"""PostgreSQL's side of the seam (the PostgreSQL pass of ./scripts/test): units of work stay serializable under
concurrency, two instances starting together migrate once, and an unreachable server is DatabaseUnavailable."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from desk.store import conversations as conv_sql
from desk.store.database import Cx, DatabaseUnavailable, open_database
from desk.store.dialect import postgres_placeholders
from desk.store.schema import MIGRATIONS
from tests.support.engines import fresh_database_url, postgres_only
from tests.support.pg_server import _free_port

pytestmark = postgres_only


async def test_read_then_write_units_of_work_lose_no_update_under_concurrency(tmp_path: Path) -> None:
    # Each unit reads a counter and writes it back plus one: at READ COMMITTED two of them would read the same
    # value and one increment would be lost. SERIALIZABLE and the retry keep every one.
    db = await open_database(fresh_database_url(tmp_path), pool_size=8)
    try:
        await db.run(lambda cx: conv_sql.set_meta(cx, "counter", "0"))

        def increment(cx: Cx) -> None:
            value = int(conv_sql.get_meta(cx, "counter") or "0")
            conv_sql.set_meta(cx, "counter", str(value + 1))

        await asyncio.gather(*(db.run(increment) for _ in range(200)))
        assert await db.read(lambda cx: conv_sql.get_meta(cx, "counter")) == "200"
    finally:
        await db.close()


async def test_two_instances_starting_together_migrate_once(tmp_path: Path) -> None:
    url = fresh_database_url(tmp_path)
    first, second = await asyncio.gather(open_database(url), open_database(url))
    try:
        versions = await first.read(lambda cx: [r["version"] for r in cx.all("SELECT version FROM schema_version")])
        assert sorted(versions) == list(range(1, len(MIGRATIONS) + 1))
    finally:
        await first.close()
        await second.close()


async def test_an_unreachable_server_is_database_unavailable_without_the_url() -> None:
    url = f"postgresql://desk:secret-password@127.0.0.1:{_free_port()}/desk"
    with pytest.raises(DatabaseUnavailable) as caught:
        await open_database(url)
    assert "secret-password" not in str(caught.value)


def test_placeholders_outside_quotes_become_psycopg_ones_and_percent_signs_are_kept() -> None:
    sql = "SELECT '?' AS q, x LIKE '50%' AS p FROM t WHERE a = ? AND b LIKE ? || '%'"
    assert postgres_placeholders(sql) == (
        "SELECT '?' AS q, x LIKE '50%%' AS p FROM t WHERE a = %s AND b LIKE %s || '%%'"
    )
