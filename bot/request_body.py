"""What `POST /api/messages` accepts as a body: JSON by its exact media type, UTF-8, a JSON object nesting at most
MAX_DEPTH levels. Anything else is refused before any bot code (or any recursive code) sees it."""

from __future__ import annotations

import json
import operator
import re
from itertools import accumulate, count
from typing import Any

from aiohttp import web

# An activity nests a handful of levels (activity > value > action > data > ...); the limit leaves card data ample
# room and keeps every recursive walk later on (the SDK's deserializer, json.dumps, our own code) far from
# Python's recursion limit, which json itself hits near 1,000 levels.
MAX_DEPTH = 64
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_OPEN_AS_2_CLOSE_AS_0 = bytes.maketrans(b"[{]}", b"\x02\x02\x00\x00")
_NOT_A_BRACKET = bytes(b for b in range(256) if b not in b"[]{}")


def is_json(content_type: str) -> bool:
    """`application/json`, optionally with `charset=utf-8` (RFC 8259: JSON exchanged between systems is UTF-8);
    not `application/jsonp`, `application/json-seq`, `text/plain` or any other type that merely contains it."""
    media_type, _, parameters = content_type.partition(";")
    if media_type.strip().lower() != "application/json":
        return False
    for parameter in filter(str.strip, parameters.split(";")):
        name, _, value = parameter.partition("=")
        if name.strip().lower() != "charset" or value.strip().strip('"').lower() not in ("utf-8", "utf8"):
            return False
    return True


async def read_object(request: web.Request) -> dict[str, Any] | None:
    """The body as a JSON object, or None when it is not one (malformed, not UTF-8, nested too deep). A body over
    the app's client_max_size raises aiohttp's HTTPRequestEntityTooLarge: 413, as aiohttp answers it."""
    raw = await request.read()
    try:
        text = raw.decode("utf-8")
        body = json.loads(text)
    except (ValueError, RecursionError):  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        return None
    if not isinstance(body, dict) or nesting(text) > MAX_DEPTH:
        return None
    return body


def nesting(valid_json: str) -> int:
    """How deep arrays and objects nest in `valid_json`, counted without recursion. The text must already have
    parsed: stripping strings with the regex is linear only when every string is closed."""
    brackets = _STRING.sub("", valid_json).encode("utf-8").translate(_OPEN_AS_2_CLOSE_AS_0, _NOT_A_BRACKET)
    # After i brackets, 2 * opened - i == opened - closed: the depth there.
    return max(map(operator.sub, accumulate(brackets), count(1)), default=0)
