"""The SDK's CloudAdapter with HTTP answers that mean what they say: 400 for malformed bodies, 401 for every
authentication failure (the stock adapter answers 500 to most), 403 for a serviceUrl outside the allowlist or a
channel other than Teams in production."""

from __future__ import annotations

import logging

from aiohttp import web
from botbuilder.core import Bot, InvokeResponse, TurnContext
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity, ActivityTypes

from bot.edge.auth import ChannelRefused
from bot.edge.request_body import is_json, read_object
from bot.edge.service_urls import ServiceUrlRefused
from desk.i18n import Translator
from desk.store.database import DatabaseUnavailable

logger = logging.getLogger(__name__)


class DeskAdapter(CloudAdapter):
    """CloudAdapter whose `process` validates the request before any bot code runs."""

    async def process(self, request: web.Request, bot: Bot, ws_response: object = None) -> web.Response:
        """Handle `POST /api/messages`."""
        if request.method != "POST":
            return web.Response(status=405)
        if not is_json(request.headers.get("Content-Type", "")):
            return web.Response(status=415, text="expected application/json")
        activity = await _read_activity(request)
        if activity is None:
            return web.Response(status=400, text="malformed activity")
        auth_header = request.headers.get("Authorization", "")
        try:
            invoke_response = await self.process_activity(auth_header, activity, bot.on_turn)
        except PermissionError as error:
            logger.warning("refused unauthenticated request: %s", error)
            return web.Response(status=401)
        except (ServiceUrlRefused, ChannelRefused) as error:
            logger.warning("refused activity: %s", error)
            return web.Response(status=403)
        if invoke_response is not None:
            body = invoke_response.body
            return web.json_response(data=body, status=invoke_response.status)
        return web.Response(status=201 if activity.type != ActivityTypes.invoke else 200)


async def _read_activity(request: web.Request) -> Activity | None:
    body = await read_object(request)
    if body is None:
        return None
    try:
        activity = Activity().deserialize(body)
    except Exception:  # msrest raises assorted types for wrong field types
        return None
    if not activity.type or not activity.service_url or not activity.channel_id:
        return None
    if activity.conversation is None or not activity.conversation.id:
        return None
    return activity


async def on_turn_error(context: TurnContext, error: Exception) -> None:
    """Last resort for a failing turn: log the traceback, tell the user in plain words. An unreachable database is
    not the turn's failure: it goes on to the web layer, which answers 503 so that Teams delivers the activity again
    (an apology here would answer 200 and the activity would be lost)."""
    if isinstance(error, DatabaseUnavailable):
        raise error
    logger.exception("turn failed", exc_info=error)
    apology = Translator(context.activity.locale)("error.generic")
    try:
        if context.activity.type == ActivityTypes.invoke:
            # Without an invoke response the SDK answers 501 with no body; a card action gets the apology as
            # its message instead, anything else a plain 500.
            await context.send_activity(
                Activity(type=ActivityTypes.invoke_response, value=_failed_invoke(context, apology))
            )
            return
        await context.send_activity(apology)
    except Exception:
        logger.exception("could not tell the user about the failure")


def _failed_invoke(context: TurnContext, apology: str) -> InvokeResponse:
    if context.activity.name == "adaptiveCard/action":
        body = {"statusCode": 200, "type": "application/vnd.microsoft.activity.message", "value": apology}
        return InvokeResponse(status=200, body=body)
    return InvokeResponse(status=500)
