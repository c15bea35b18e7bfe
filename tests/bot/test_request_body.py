"""The body rules of /api/messages on their own: nesting depth counted without recursion, the exact JSON type."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.edge.loopback import is_loopback_host
from bot.edge.request_body import is_json, nesting

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(alphabet=st.sampled_from('[]{}"\\ab,:\n\u00e9')),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=3), inner, max_size=4),
    max_leaves=30,
)


def depth(value: Any) -> int:
    if isinstance(value, list):
        return 1 + max(map(depth, value), default=0)
    if isinstance(value, dict):
        return 1 + max(map(depth, value.values()), default=0)
    return 0


@given(json_values, st.booleans())
def test_nesting_counts_what_recursion_would(value: Any, ascii_only: bool) -> None:
    text = json.dumps(value, ensure_ascii=ascii_only, indent=None if ascii_only else 1)
    assert nesting(text) == depth(value)


@pytest.mark.parametrize(
    ("header", "loopback"),
    [
        ("localhost", True),
        ("LOCALHOST:65535", True),
        ("127.0.0.1", True),
        ("127.8.9.10:3978", True),
        ("[::1]:3978", True),
        ("[0:0:0:0:0:0:0:1]", True),
        ("::1", False),
        ("[127.0.0.1]:3978", False),
        ("127.1:3978", False),
        ("localhost:", False),
        ("localhost:port", False),
        ("user@localhost", False),
        ("localhost:3978@evil.example", False),
        ("evil.example", False),
        ("10.0.0.1:3978", False),
        ("", False),
    ],
)
def test_loopback_hosts(header: str, loopback: bool) -> None:
    assert is_loopback_host(header) is loopback


@pytest.mark.parametrize(
    ("content_type", "accepted"),
    [
        ("application/json", True),
        ("application/json;charset=utf-8", True),
        (' APPLICATION/JSON ; Charset = "utf8" ', True),
        ("application/json;", True),
        ("application/jsonp", False),
        ("application/json-seq", False),
        ("application/json; charset=iso-8859-1", False),
        ("application/json; charset", False),
        ("application/json; q=1", False),
        ("text/json", False),
        ("application/vnd.api+json", False),
        ("", False),
    ],
)
def test_json_content_types(content_type: str, accepted: bool) -> None:
    assert is_json(content_type) is accepted
