"""The PSA bridge's inbound endpoint: `POST /api/psa/tickets/{number}` lets a PSA set a ticket's status, assign it,
reply to the customer or add a private note. Signed like the webhooks (desk/psa_signing.py) with the shared secret;
a signature seen before within the replay window is refused, in the database, so across instances. The change then
goes through the same path as a technician's click on the triage card (Desk.apply with the card's announcements:
the card updated in place, a line in the ticket's thread, the customer told), by the PSA as a technician named
PSA_ACTOR_NAME, so the same role and state checks apply. Served only when PSA_INBOUND is on (else 404)."""

from __future__ import annotations

import json
import logging

from aiohttp import web

from bot.features.notices import announcer
from bot.features.tickets import audience_of, refusal_text
from bot.runtime import Runtime
from desk.changes import Actor, AssignTo, Change
from desk.i18n import Translator
from desk.people import Role
from desk.psa_events import PSA_ACTOR_ID, ticket_document
from desk.psa_requests import BadRequest, PsaRequest, parse_request
from desk.psa_signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, BadSignature, verify
from desk.store import people as people_sql
from desk.store import webhooks as webhook_sql
from desk.tickets import Ticket, parse_ticket_number
from desk.workflow import Refused

logger = logging.getLogger(__name__)
# The longest legal request: 4,000 characters of text (MESSAGE_LIMIT) and a 100-character requestId, each character
# up to 12 bytes as JSON may spell it (an emoji as two \uXXXX escapes: the default of Python's and PHP's encoders).
MAX_BODY = 64 * 1024


def add_routes(app: web.Application, runtime_key: web.AppKey[Runtime]) -> None:
    """Serve the endpoint on `app` (call only when PSA_INBOUND is on)."""

    async def handle(request: web.Request) -> web.Response:
        return await ticket_change(request, request.app[runtime_key])

    app.router.add_post("/api/psa/tickets/{number}", handle)


def _error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": code, "message": message}, status=status)


async def ticket_change(request: web.Request, runtime: Runtime) -> web.Response:
    """Check the signature, then apply the request as a technician's click would be."""
    settings = runtime.settings.psa
    if request.content_length is not None and request.content_length > MAX_BODY:
        return _error(413, "too_large", f"the body is over {MAX_BODY} bytes")
    body = await request.read()  # a body without a length (chunked) stops at the app's client_max_size
    if len(body) > MAX_BODY:
        return _error(413, "too_large", f"the body is over {MAX_BODY} bytes")
    now = runtime.services.clock()
    try:
        digest = verify(
            settings.secret,
            request.headers.get(TIMESTAMP_HEADER),
            request.headers.get(SIGNATURE_HEADER),
            body,
            now,
            ticket=request.match_info["number"],
        )
    except BadSignature as error:
        # The raw path: still percent-encoded, so an unsigned caller's %0A cannot start a forged log line.
        logger.warning("PSA request to %s refused: %s", request.raw_path, error)
        return _error(401, "unauthorized", str(error))
    # Only signed requests reach the database: nobody without the secret can fill the table.
    if not await runtime.db.run(lambda cx: webhook_sql.first_use(cx, digest, now)):
        logger.warning("PSA request to %s refused: a replay", request.raw_path)
        return _error(409, "replayed", "this request (its signature) was already received")
    try:
        document = json.loads(body.decode("utf-8"))
        if not isinstance(document, dict):
            raise BadRequest("the body must be a JSON object")
        asked = parse_request(document)
    except (ValueError, RecursionError) as error:  # JSONDecodeError, UnicodeDecodeError, BadRequest
        message = str(error) if isinstance(error, BadRequest) else "the body is not JSON in UTF-8"
        return _error(400, "bad_request", message)
    ticket_id = parse_ticket_number(request.match_info["number"])
    ticket = await runtime.services.desk.ticket(ticket_id) if ticket_id else None
    if ticket is None:
        return _error(404, "no_such_ticket", "no ticket has this number")
    try:
        updated = await _apply(runtime, ticket, asked)
    except Refused as refused:
        partner = runtime.settings.support.partner_name
        return _error(409, "refused", refusal_text(Translator("en"), refused, partner))
    email = await _assignee_email(runtime, updated)
    return web.json_response({"ticket": ticket_document(updated, email)})


async def _apply(runtime: Runtime, ticket: Ticket, asked: PsaRequest) -> Ticket:
    services = runtime.services
    change: Change | None = asked.change
    if asked.assignee is not None:
        change = await _assignee(runtime, asked.assignee)
    assert change is not None
    actor = Actor(PSA_ACTOR_ID, runtime.settings.psa.actor_name, Role.TECHNICIAN)
    announce = announcer(await audience_of(services, ticket), services.clock())
    # Per ticket: a PSA's ids may count per ticket, and one ticket's request must never pass for another's.
    once = f"psa:{ticket.id}:{asked.request_id}" if asked.request_id else None
    return await services.desk.apply(ticket.id, actor, change, announce, once=once)


async def _assignee(runtime: Runtime, named: str) -> AssignTo:
    """The known technician `named` (an e-mail or an Entra object id), as a technician's Assign list offers them:
    in the directory, and in TECHNICIANS when that is set."""
    wanted = named.strip().lower()
    allowed = runtime.settings.technicians
    for technician in await runtime.services.desk.technicians():
        if wanted in (technician.aad_id, (technician.email or "").lower()):
            if allowed and technician.aad_id not in allowed:
                break
            return AssignTo(technician.aad_id, technician.name)
    raise Refused("psa.unknown_technician")


async def _assignee_email(runtime: Runtime, ticket: Ticket) -> str | None:
    if not ticket.assignee_id:
        return None
    assignee_id = ticket.assignee_id
    found = await runtime.db.read(lambda cx: people_sql.technician(cx, assignee_id))
    return found.email if found else None
