"""Why a technician's Partner Center sign-in cannot be used (kept apart so callers need not load MSAL code)."""

from __future__ import annotations


class NotSignedIn(Exception):
    """The technician has no usable Partner Center sign-in."""


class SignInFailed(Exception):
    """The browser came back but the sign-in cannot be used; `conversation_key` is where to say so (if known)."""

    def __init__(self, reason: str, conversation_key: str | None = None) -> None:
        super().__init__(reason)
        self.conversation_key = conversation_key
