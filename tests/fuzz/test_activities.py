"""Hostile activities through the real app and the real SDK adapter: never a 5xx, never a traceback to the
client or in the logs, never a partial ticket. CI runs a few hundred examples; `--hypothesis-profile=long`
runs 10,000 per test (see the README)."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz.conftest import Tracebacks, assert_whole, known_verbs
from tests.fuzz.strategies import card_actions, content_types, messages, raw_bodies
from tests.support.harness import Desk


async def post_json(desk: Desk, activity: Any) -> tuple[int, str]:
    response = await desk.client.post("/api/messages", json=activity)
    return response.status, await response.text()


def assert_answered_plainly(status: int, body: str, tracebacks: Tracebacks) -> None:
    assert status < 500, (status, body[:300])
    assert "Traceback" not in body and 'File "' not in body, body[:300]
    assert tracebacks.take() == []


@given(data=st.data())
async def test_typed_messages(fuzz_desk: Desk, tracebacks: Tracebacks, data: st.DataObject) -> None:
    tracebacks.take()  # what an earlier, failing example left
    activity = data.draw(messages(fuzz_desk.connector.url))
    status, body = await post_json(fuzz_desk, activity)
    await fuzz_desk.runtime.services.spawner.drain()
    assert_answered_plainly(status, body, tracebacks)
    await assert_whole(fuzz_desk)


@given(data=st.data())
async def test_card_actions_and_submits(fuzz_desk: Desk, tracebacks: Tracebacks, data: st.DataObject) -> None:
    tracebacks.take()
    activity = data.draw(card_actions(fuzz_desk.connector.url, known_verbs()))
    status, body = await post_json(fuzz_desk, activity)
    await fuzz_desk.runtime.services.spawner.drain()
    assert_answered_plainly(status, body, tracebacks)
    await assert_whole(fuzz_desk)


@given(body=raw_bodies, content_type=content_types)
async def test_raw_bodies(fuzz_desk: Desk, tracebacks: Tracebacks, body: bytes, content_type: str) -> None:
    tracebacks.take()
    headers = {"Content-Type": content_type} if content_type else {}
    response = await fuzz_desk.client.post("/api/messages", data=body, headers=headers)
    text = await response.text()
    assert response.status < 500, (response.status, text[:300])
    assert response.status != 201 or body.lstrip().startswith(b"{"), "a body that is no JSON object was accepted"
    assert_answered_plainly(response.status, text, tracebacks)
    await assert_whole(fuzz_desk)
