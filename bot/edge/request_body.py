"""What `POST /api/messages` accepts as a body: JSON by its exact media type, UTF-8, a JSON object nesting at most
MAX_DEPTH levels whose identifiers are plain strings. Anything else is refused before any bot code (or any recursive
code) sees it."""

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
    if not isinstance(body, dict) or nesting(text) > MAX_DEPTH or not well_formed(body):
        return None
    return body


# Identifiers the SDK puts into connector URLs (`/v3/conversations/{id}/activities/{replyToId}`) and we store as
# keys: plain strings of sane length, as Teams sends them (a channel thread's id is about a hundred characters).
MAX_ID_LENGTH = 1024
_TOP_IDS = ("type", "id", "replyToId", "serviceUrl", "channelId", "name", "locale")
_ACCOUNTS = ("from", "recipient", "conversation")


def well_formed(body: dict[str, Any]) -> bool:
    """Whether an activity's identifiers are strings of sane length and its accounts objects. msrest turns a list
    or an object given for a string field into its repr, which would then travel into URLs and keys."""

    def plain(value: object) -> bool:
        return value is None or (isinstance(value, str) and len(value) <= MAX_ID_LENGTH)

    if not all(plain(body.get(field)) for field in _TOP_IDS):
        return False
    for field in _ACCOUNTS:
        account = body.get(field)
        if account is None:
            continue
        if not isinstance(account, dict) or not plain(account.get("id")) or not plain(account.get("aadObjectId")):
            return False
    sender = body.get("from")
    if not isinstance(sender, dict) or not sender.get("id"):
        return False  # every activity Teams sends names its sender; one without is nobody's
    return body.get("channelData") is None or isinstance(body["channelData"], dict)


def nesting(valid_json: str) -> int:
    """How deep arrays and objects nest in `valid_json`, counted without recursion. The text must already have
    parsed: stripping strings with the regex is linear only when every string is closed."""
    brackets = _STRING.sub("", valid_json).encode("utf-8").translate(_OPEN_AS_2_CLOSE_AS_0, _NOT_A_BRACKET)
    # After i brackets, 2 * opened - i == opened - closed: the depth there.
    return max(map(operator.sub, accumulate(brackets), count(1)), default=0)
