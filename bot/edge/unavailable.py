"""Any request that needs the database while it cannot be reached is answered 503 with a short JSON body. For
Teams' activities that is the one answer that can bring them back: a 2xx ends the activity, while Teams retries
some failure statuses (a Teams engineer in https://github.com/MicrosoftDocs/msteams-docs/issues/8998; Microsoft
does not document which), and its redelivery is processed again (a failed turn gives up its claim of the
activity, or the claim runs out). One warning line per request, no traceback: an outage is an operating
condition, not a bug."""

from __future__ import annotations

import logging

from aiohttp import web
from aiohttp.typedefs import Handler

from desk.outage import plain
from desk.store.database import DatabaseUnavailable

logger = logging.getLogger(__name__)
BODY = {"error": "database_unavailable", "message": "The database cannot be reached; try again shortly."}


@web.middleware
async def database_unavailable(request: web.Request, handler: Handler) -> web.StreamResponse:
    """503 for a request whose handling found the database unreachable (a turn, a sign-in callback)."""
    try:
        return await handler(request)
    except DatabaseUnavailable as error:
        logger.warning("%s %s answered 503: database unreachable (%s)", request.method, request.path, plain(error))
        return web.json_response(BODY, status=503)
