"""The PSA bridge's signature: what the desk signs, docs/psa-bridge.md's verification snippet accepts (run as
printed, so the documentation cannot drift from the code), and what the desk's own check refuses."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from desk.psa_signing import BadSignature, headers, sign, verify

SECRET = "k" * 40
BODY = b'{"schemaVersion":"1","id":"evt_7"}'
DOC = Path(__file__).parents[2] / "docs/psa-bridge.md"


def documented_verify() -> Any:
    """The `verify` function of the documentation's Python block."""
    [block] = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    namespace: dict[str, Any] = {}
    exec(block, namespace)  # the documentation's own code
    return namespace["verify"]


def test_the_documented_check_accepts_a_signed_event_once_and_refuses_the_rest() -> None:
    check = documented_verify()
    now = int(time.time())
    signed = headers(SECRET, "evt_7", now, BODY)
    seen: set[str] = set()

    assert check(SECRET, signed, BODY, seen)
    assert not check(SECRET, signed, BODY, seen), "a repeated event id"
    assert not check(SECRET, headers(SECRET, "evt_8", now, BODY), BODY + b" ", set()), "another body"
    assert not check("x" * 40, headers(SECRET, "evt_9", now, BODY), BODY, set()), "another secret"
    assert not check(SECRET, headers(SECRET, "evt_10", now - 301, BODY), BODY, set()), "stale"


def test_the_signature_is_hmac_sha256_over_timestamp_dot_body() -> None:
    assert sign(SECRET, 1700000000, b"{}") == sign(SECRET, 1700000000, b"{}")
    assert sign(SECRET, 1700000000, b"{}").startswith("v1=") and len(sign(SECRET, 1, b"")) == 67
    assert sign(SECRET, 1700000000, b"{}") != sign(SECRET, 1700000001, b"{}")


@pytest.mark.parametrize(
    ("timestamp", "signature", "reason"),
    [
        (None, "v1=00", "missing"),
        ("1700000000", None, "missing"),
        ("17e8", "v1=00", "unix seconds"),
        ("1699999000", "SIGNED", "stale"),
        ("1700000000", "v1=" + "0" * 64, "bad signature"),
    ],
)
def test_the_desks_check_refuses(timestamp: str | None, signature: str | None, reason: str) -> None:
    now = datetime.fromtimestamp(1700000000, UTC)
    if signature == "SIGNED":
        signature = sign(SECRET, int(timestamp or 0), BODY)
    with pytest.raises(BadSignature, match=reason):
        verify(SECRET, timestamp, signature, BODY, now)


def test_the_desks_check_accepts_one_of_several_signatures() -> None:
    now = datetime.fromtimestamp(1700000000, UTC)
    good = sign(SECRET, 1700000000, BODY)
    assert verify(SECRET, "1700000000", f"v1={'0' * 64}, {good}", BODY, now) == good.removeprefix("v1=")


def test_an_inbound_signature_covers_the_ticket_number() -> None:
    now = datetime.fromtimestamp(1700000000, UTC)
    for_t1001 = sign(SECRET, 1700000000, BODY, "T-1001")

    assert verify(SECRET, "1700000000", for_t1001, BODY, now, ticket="T-1001") == for_t1001.removeprefix("v1=")
    with pytest.raises(BadSignature, match="bad signature"):
        verify(SECRET, "1700000000", for_t1001, BODY, now, ticket="T-1002")
    with pytest.raises(BadSignature, match="bad signature"):
        verify(SECRET, "1700000000", sign(SECRET, 1700000000, BODY), BODY, now, ticket="T-1001")


def test_the_desks_check_accepts_the_digest_in_upper_case_hex() -> None:
    # .NET's Convert.ToHexString (an Azure Function relay) writes upper case; the digest is the same.
    now = datetime.fromtimestamp(1700000000, UTC)
    good = sign(SECRET, 1700000000, BODY, "T-1001")
    upper = "v1=" + good.removeprefix("v1=").upper()

    assert verify(SECRET, "1700000000", upper, BODY, now, ticket="T-1001") == good.removeprefix("v1=")
