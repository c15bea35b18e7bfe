"""The browser half of a technician's sign-in: /auth/signin/{state} sends the browser to Entra ID, and
/auth/callback receives the authorization code, stores the tokens (encrypted) and tells the technician in Teams."""

from __future__ import annotations

import html
import logging
import re

from aiohttp import web

from bot.features.sign_in_errors import SignInFailed
from bot.features.sign_ins import announce_failure, announce_signed_in
from desk.i18n import Translator

logger = logging.getLogger(__name__)


def add_routes(app: web.Application, runtime_key: web.AppKey) -> None:  # type: ignore[type-arg]
    """Register the sign-in routes (they work only when a redirect URI is configured)."""

    async def start(request: web.Request) -> web.StreamResponse:
        signins = request.app[runtime_key].services.signins
        target = await signins.browser_target(request.match_info["state"]) if signins else None
        if target is None:
            return _page(Translator(None)("signin.page_failed", reason="unknown or expired link"), 404)
        raise web.HTTPFound(target)

    async def callback(request: web.Request) -> web.StreamResponse:
        services = request.app[runtime_key].services
        t = Translator(request.headers.get("Accept-Language", "").split(",")[0] or None)
        if services.signins is None:
            return _page(t("signin.not_configured"), 404)
        query = dict(request.query)
        if "error" in query:
            logger.warning("sign-in callback with an error: %r", {k: v[:300] for k, v in query.items()})
            return _page(t("signin.page_failed", reason=_entra_error(t, query)), 400)
        try:
            pending, signed = await services.signins.finish(query)
        except SignInFailed as error:
            logger.warning("sign-in callback refused: %s", error)
            if error.conversation_key:
                await announce_failure(services.desk, error.conversation_key, str(error))
            return _page(t("signin.page_failed", reason=str(error)), 400)
        await announce_signed_in(services.desk, pending, signed)
        return _page(t("signin.page_done"), 200)

    app.router.add_get("/auth/signin/{state}", start)
    app.router.add_get("/auth/callback", callback)


def _entra_error(t: Translator, query: dict[str, str]) -> str:
    """What the page says of Entra ID's error: its code and AADSTS number only. Anyone can make a callback link
    with any error_description, so its free text is never shown (a fake "visit this address" would carry the
    desk's name)."""
    code = query["error"]
    if not re.fullmatch(r"[a-z_]{1,64}", code):  # OAuth 2.0 error codes (RFC 6749 4.1.2.1) have this shape
        return t("signin.entra_refused")
    number = re.search(r"\bAADSTS[0-9]{1,9}\b", query.get("error_description", ""))
    return t("signin.entra_answered", code=code) + (f" ({number[0]})" if number else "")


def _page(message: str, status: int) -> web.Response:
    body = (
        "<!doctype html><html><head><meta charset='utf-8'><title>Partner Desk</title></head>"
        f"<body style='font-family:sans-serif;margin:3em'><p>{html.escape(message)}</p></body></html>"
    )
    return web.Response(text=body, status=status, content_type="text/html")
