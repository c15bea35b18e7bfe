"""Inbound tokens the SDK has validated, remembered until shortly before they expire.

The Bot Connector sends many activities with one token (it renews it well before expiry), and validating costs a
JWT decode, an RSA signature check and a JWK parse each time. An entry is keyed by the SHA-256 of the Authorization
header together with the activity's channel and serviceUrl: the SDK checks the key's endorsements against the channel
and the token's `serviceurl` claim against the activity's serviceUrl, so an activity that differs in either is
validated afresh by the SDK and refused there. An entry never outlives the token's `exp` (less a margin) nor an hour,
so a key the Bot Framework withdraws stops being trusted as soon as the SDK itself would notice.
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botframework.connector.auth import AuthenticateRequestResult, ClaimsIdentity

# Teams renews its tokens well before they expire; a minute's margin keeps the cache strictly inside their lifetime.
EXPIRY_MARGIN_SECONDS = 60.0
MAX_AGE_SECONDS = 3600.0
# Live tokens are few (one per channel service and renewal); the bound keeps a flood of valid ones from growing it.
DEFAULT_SIZE = 1024
Key = tuple[bytes, str, str]


@dataclass(frozen=True)
class _Entry:
    claims: dict[str, Any]
    authentication_type: str | None
    audience: str | None
    caller_id: str | None
    connector_factory: Any
    until: float


class ValidatedTokens:
    """Least-recently-used cache of successful validations; failures are never cached."""

    def __init__(self, size: int = DEFAULT_SIZE, clock: Callable[[], float] = time.time) -> None:
        if size < 1:
            raise ValueError("the cache must hold at least one token")
        self._size = size
        self._clock = clock
        self._entries: OrderedDict[Key, _Entry] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(
        self, auth_header: str, channel_id: str | None, service_url: str | None
    ) -> AuthenticateRequestResult | None:
        """A copy of the validated result for this header, channel and serviceUrl, or None."""
        key = _key(auth_header, channel_id, service_url)
        entry = self._entries.get(key)
        if entry is None:
            return None
        if self._clock() >= entry.until:
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        result = AuthenticateRequestResult()
        # A fresh identity per turn: nothing a turn does to its claims reaches the next one.
        result.claims_identity = ClaimsIdentity(dict(entry.claims), True, entry.authentication_type)
        result.audience = entry.audience
        result.caller_id = entry.caller_id
        result.connector_factory = entry.connector_factory
        return result

    def put(
        self, auth_header: str, channel_id: str | None, service_url: str | None, result: AuthenticateRequestResult
    ) -> None:
        """Remember `result`, validated by the SDK for this header, channel and serviceUrl, until shortly before the
        token's `exp`; a token without a numeric `exp` is not remembered."""
        identity = result.claims_identity
        expires = identity.claims.get("exp") if identity is not None else None
        if identity is None or isinstance(expires, bool) or not isinstance(expires, int | float):
            return
        now = self._clock()
        until = min(float(expires) - EXPIRY_MARGIN_SECONDS, now + MAX_AGE_SECONDS)
        if until <= now:
            return
        key = _key(auth_header, channel_id, service_url)
        self._entries[key] = _Entry(
            dict(identity.claims),
            identity.authentication_type,
            result.audience,
            result.caller_id,
            result.connector_factory,
            until,
        )
        self._entries.move_to_end(key)
        while len(self._entries) > self._size:
            self._entries.popitem(last=False)


def _key(auth_header: str, channel_id: str | None, service_url: str | None) -> Key:
    return hashlib.sha256(auth_header.encode("utf-8")).digest(), channel_id or "", service_url or ""
