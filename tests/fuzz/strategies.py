"""Hypothesis strategies for hostile input: odd text, arbitrary JSON, and Teams activities bent out of shape
(wrong types, missing fields, huge strings, forged verbs and ids)."""

from __future__ import annotations

import string
from typing import Any

from hypothesis import strategies as st

from emulator import demo
from tests.support.activities import Channel, Chat, TeamsUser, user

# Text a hostile or careless user might type: markup, mentions, numbers Python thinks are digits, direction marks,
# zero-width and control characters, command words with junk around them.
NASTY = [
    "",
    " ",
    "\x00",
    "\u202etxet",
    "\u200b\u200d\ufeff",
    "T-1001",
    "T-1001²",
    "T-" + "9" * 40,
    "T-١٠٠١",
    "<at>Partner Desk</at>",
    "<at>Partner Desk</at> queue",
    "[click](https://evil.example)",
    "**bold** _it_ `code`",
    "https://evil.example/login?next=%0d%0a",
    '{"verb": "ticket.assign_me"}',
    "{{ 7*7 }} ${7*7} {% raw %}",
    "\\\"'\n\r\t",
    "🙂" * 50,
    "Ｑｕｅｕｅ",
]
COMMAND_WORDS = [
    "help", "support", "new ticket", "my tickets", "ticket", "service status", "triage here", "queue", "history",
    "search", "reply", "note", "health", "incidents", "health all", "escalate", "sign in", "sign out", "admin",
    "customers",
]  # fmt: skip

odd_text = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=60)
huge_text = st.sampled_from(["x", "ж", "🙂", "\u0301", "T-1001 "]).map(lambda unit: unit * 60_000)
typed = st.one_of(
    st.sampled_from(NASTY),
    odd_text,
    st.builds(
        lambda word, rest: f"{word} {rest}", st.sampled_from(COMMAND_WORDS), st.one_of(odd_text, st.sampled_from(NASTY))
    ),
    huge_text,
)

json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False), typed,
)  # fmt: skip
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(odd_text, inner, max_size=4)),
    max_leaves=12,
)

ROLES = {
    "customer": user(demo.FABRIKAM, 0),
    "other_customer": user(demo.NORTHWIND, 0),
    "technician": user(demo.PARTNER, 0),
    "stranger": user(demo.STRANGER, 0),
}
senders = st.sampled_from(sorted(ROLES)).map(ROLES.__getitem__)
ticket_ids = st.one_of(
    st.sampled_from(["T-1001", "T-1002", "T-0", "T-", "1001", "", "T-1001 ", "t-1001"]), typed, json_values
)
TOP_LEVEL = ["type", "id", "from", "recipient", "conversation", "channelData", "text", "value", "entities",
             "locale", "serviceUrl", "channelId", "replyToId", "name", "timestamp", "attachments"]  # fmt: skip


def chat_for(sender: TeamsUser, service_url: str) -> Chat:
    """The sender's personal chat with the bot."""
    return Chat(sender, service_url)


def channel_for(service_url: str) -> Channel:
    """The partner's triage channel."""
    return Channel("19:team-support@thread.tacv2", "19:triage-channel@thread.tacv2", service_url)


@st.composite
def bent(draw: st.DrawFn, activity: dict[str, Any]) -> dict[str, Any]:
    """`activity` with some top-level fields replaced by arbitrary JSON and some removed."""
    result = dict(activity)
    for field in draw(st.lists(st.sampled_from(TOP_LEVEL), max_size=3, unique=True)):
        if draw(st.booleans()):
            result.pop(field, None)
        else:
            result[field] = draw(json_values)
    return result


@st.composite
def messages(draw: st.DrawFn, service_url: str) -> dict[str, Any]:
    """A typed message in a personal chat or the triage channel, possibly bent."""
    sender = draw(senders)
    text = draw(typed)
    if draw(st.booleans()):
        activity = chat_for(sender, service_url).message(text)
    else:
        activity = channel_for(service_url).message(sender, text, thread=draw(st.sampled_from([None, "1", "x"])))
    return draw(bent(activity)) if draw(st.integers(0, 3)) == 0 else activity


@st.composite
def card_actions(draw: st.DrawFn, service_url: str, verbs: list[str]) -> dict[str, Any]:
    """An Action.Execute invoke or an Action.Submit message with a known or forged verb, forged ids and inputs."""
    sender = draw(senders)
    verb = draw(st.one_of(st.sampled_from(verbs), typed))
    target = draw(ticket_ids)
    inputs = draw(st.dictionaries(st.one_of(st.sampled_from(INPUT_NAMES), odd_text), json_values, max_size=5))
    in_channel = draw(st.booleans())
    if draw(st.booleans()):  # Action.Execute
        if in_channel:
            activity = channel_for(service_url).invoke(sender, "x", "", None, thread=draw(st.sampled_from(["", "1"])))
        else:
            activity = chat_for(sender, service_url).invoke("x")
        data = {"verb": verb, "id": target, **inputs}
        activity["value"] = draw(
            st.one_of(
                st.just({"action": {"type": "Action.Execute", "verb": verb, "data": data}, "trigger": "manual"}),
                st.builds(lambda a: {"action": a}, json_values),
                json_values,
            )
        )
    else:  # Action.Submit: a message whose value is the card data
        value = {"verb": verb, "id": target, **inputs} if draw(st.integers(0, 4)) else draw(json_values)
        if in_channel:
            activity = channel_for(service_url).message(sender, "")
            activity["text"], activity["value"] = "", value
        else:
            activity = chat_for(sender, service_url).submit(value)  # type: ignore[arg-type]
    return draw(bent(activity)) if draw(st.integers(0, 4)) == 0 else activity


INPUT_NAMES = [
    "title", "description", "severity", "product", "service", "contact", "resolution", "text", "rating", "comment",
    "assignee", "status", "topic", "country", "phone", "reason", "msteams", "verb", "id", "ticket",
]  # fmt: skip


def deep(depth: int, opener: str = "[", closer: str = "]") -> bytes:
    """JSON nested `depth` levels deep."""
    return (opener * depth + closer * depth).encode()


RAW_BODIES: list[bytes] = [
    b"",
    b"null",
    b"[]",
    b'"text"',
    b"{",
    b"\xff\xfe\x00",
    b'{"type": "message", "text": "\\ud800"}',
    b'{"type": "message", "text": 1e999}',
    b'{"type": NaN}',
    b'{"type": "message", "type": "invoke"}',
    deep(1_000),
    deep(100_000),
    b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
    b'{"type": "message", "text": "' + b"x" * (2 * 1024 * 1024) + b'"}',
]
raw_bodies = st.one_of(
    st.sampled_from(RAW_BODIES),
    st.binary(max_size=200),
    st.text(alphabet=string.printable, max_size=200).map(str.encode),
)
content_types = st.sampled_from(
    [
        "application/json",
        "application/json; charset=utf-8",
        "text/plain",
        "application/jsonp",
        "",
        "multipart/form-data",
    ]
)
