"""Signed, short-lived links to a report's CSV under PUBLIC_URL: `/reports/csv?export=<id>&expires=<unix>&sig=<hex>`.

The signature is HMAC-SHA256 over the export id and the expiry, with a key derived from the first TOKEN_CACHE_KEY
(the secret every instance already shares; local mode's own key file otherwise), so a link cannot be made for
another export or kept alive past its expiry. The export row has its own expiry too: either refuses the link."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime

LINK_PATH = "/reports/csv"
_PURPOSE = b"partner-desk report csv link v1"  # a key of its own, not the token-cache key itself


class ReportLinks:
    """Makes and checks CSV links."""

    def __init__(self, base_url: str, secret: bytes) -> None:
        self._base = base_url.rstrip("/")
        self._key = hmac.new(secret, _PURPOSE, hashlib.sha256).digest()

    def _sign(self, export_id: str, expires: int) -> str:
        return hmac.new(self._key, f"{export_id}\n{expires}".encode(), hashlib.sha256).hexdigest()

    def url(self, export_id: str, expires: datetime) -> str:
        """The link to an export, valid until `expires`."""
        stamp = int(expires.timestamp())
        return f"{self._base}{LINK_PATH}?export={export_id}&expires={stamp}&sig={self._sign(export_id, stamp)}"

    def verify(self, query: Mapping[str, str], now: datetime) -> str | None:
        """The export id of a genuine link that has not expired; None otherwise (which, is not said)."""
        export_id, expires, signature = query.get("export", ""), query.get("expires", ""), query.get("sig", "")
        # ASCII digits only: "²" is a digit to isdigit() but not to int(), which would fail the request (a 500).
        if not export_id or not (expires.isascii() and expires.isdigit()) or len(expires) > 12 or not signature:
            return None
        # As bytes: compare_digest raises TypeError for a str that is not ASCII (a forged "sig=é…" would be a 500).
        if not hmac.compare_digest(self._sign(export_id, int(expires)).encode(), signature.encode()):
            return None
        return export_id if now.timestamp() <= int(expires) else None
