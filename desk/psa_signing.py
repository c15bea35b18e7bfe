"""The PSA bridge's signature, one scheme both ways: HMAC-SHA256 with the shared secret over
"<unix seconds>.<body bytes>", sent as `X-PartnerDesk-Signature: v1=<hex>` beside `X-PartnerDesk-Timestamp`.
A timestamp more than TOLERANCE away from now is refused (a captured request cannot be replayed later); within it,
the receiver refuses a signature it has seen before (docs/psa-bridge.md)."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

EVENT_ID_HEADER = "X-PartnerDesk-Event-Id"
TIMESTAMP_HEADER = "X-PartnerDesk-Timestamp"
SIGNATURE_HEADER = "X-PartnerDesk-Signature"
VERSION = "v1"
TOLERANCE_SECONDS = 300


class BadSignature(Exception):
    """A request whose signature is missing, malformed, wrong, or whose timestamp is stale."""


def sign(secret: str, timestamp: int, body: bytes, ticket: str | None = None) -> str:
    """The signature header's value for `body` sent at `timestamp`. A request to the inbound endpoint signs the
    ticket's number (as in its path) too: the path is the request's target, and a signature that left it out would
    let a captured request act on another ticket, and make the same body sent to two tickets in one second look
    like a replay of the first (docs/psa-bridge.md)."""
    signed = f"{timestamp}." if ticket is None else f"{timestamp}.{ticket}."
    digest = hmac.new(secret.encode("utf-8"), signed.encode("utf-8") + body, hashlib.sha256).hexdigest()
    return f"{VERSION}={digest}"


def headers(secret: str, event_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The headers of one signed request."""
    return {
        "Content-Type": "application/json",
        EVENT_ID_HEADER: event_id,
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: sign(secret, timestamp, body),
    }


def verify(
    secret: str,
    timestamp_header: str | None,
    signature_header: str | None,
    body: bytes,
    now: datetime,
    ticket: str | None = None,
) -> str:
    """Check a request's signature (of `ticket` too, when given) and age; returns the signature's hex digest (the
    request's replay key). Raises BadSignature with the reason (said to the caller: it names no secret)."""
    if not timestamp_header or not signature_header:
        raise BadSignature("missing signature or timestamp header")
    if not timestamp_header.isascii() or not timestamp_header.isdigit() or len(timestamp_header) > 12:
        raise BadSignature("the timestamp is not unix seconds")
    timestamp = int(timestamp_header)
    if abs(now.timestamp() - timestamp) > TOLERANCE_SECONDS:
        raise BadSignature("stale timestamp")
    expected = sign(secret, timestamp, body, ticket)
    # Several signatures may be given (comma-separated), as during a secret's rotation on the sending side. Hex in
    # either case: .NET's Convert.ToHexString writes upper case.
    given = [part.strip().lower() for part in signature_header.split(",")]
    if not any(hmac.compare_digest(part.encode("utf-8"), expected.encode("ascii")) for part in given):
        raise BadSignature("bad signature")
    return expected.split("=", 1)[1]
