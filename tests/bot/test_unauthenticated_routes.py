"""Routes anyone can reach without a token (/healthz, /readyz, the sign-in pages) never take the database's write
lock: another writer holding it (or a flood of junk callbacks) cannot stall them, and they cannot stall writers."""

from __future__ import annotations

import sqlite3
import traceback
from collections.abc import Iterator
from contextlib import contextmanager

from tests.bot.helpers import rows
from tests.support.engines import sqlite_only
from tests.support.harness import Desk


@contextmanager
def write_lock_held_elsewhere(desk: Desk) -> Iterator[None]:
    """Another connection (another process, in production) holds the database's write lock meanwhile."""
    other = sqlite3.connect(desk.runtime.settings.database_url.removeprefix("sqlite:///"), isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        yield
        other.execute("ROLLBACK")
    finally:
        other.close()


JUNK_CALLBACKS = [
    {"state": "not-a-state", "code": "x"},
    {"code": "x"},
    {"state": "", "code": "", "session_state": "y"},
    {"state": "a" * 5000},
]


@sqlite_only
async def test_readiness_and_junk_sign_ins_answer_while_another_writer_holds_the_lock(desk: Desk) -> None:
    with write_lock_held_elsewhere(desk):
        ready = await desk.client.get("/readyz")
        assert (ready.status, (await ready.json())["status"]) == (200, "ready")
        alive = await desk.client.get("/healthz")
        assert alive.status == 200
        for query in JUNK_CALLBACKS:
            page = await desk.client.get("/auth/callback", params=query)
            assert page.status == 400, query
            assert "unknown or has expired" in await page.text()
        link = await desk.client.get("/auth/signin/not-a-state", allow_redirects=False)
        assert link.status == 404


async def test_unauthenticated_routes_open_no_write_transaction(desk: Desk, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    writes: list[object] = []
    real_run = desk.runtime.db.run

    async def counting_run(work):  # type: ignore[no-untyped-def]
        # Background work (the outbox sender, periodic jobs) writes meanwhile: count what a route handler asked for.
        handlers = [
            f for f in traceback.extract_stack() if f.filename.endswith(("bot/edge/web.py", "bot/edge/web_auth.py"))
        ]
        if handlers:
            writes.append(handlers[-1].name)
        return await real_run(work)

    monkeypatch.setattr(desk.runtime.db, "run", counting_run)
    for _ in range(3):
        await desk.client.get("/readyz")
        await desk.client.get("/auth/signin/junk")
        for query in JUNK_CALLBACKS:
            await desk.client.get("/auth/callback", params=query)
    monkeypatch.undo()
    assert writes == []
    assert await rows(desk, "SELECT state FROM sign_ins") == []
