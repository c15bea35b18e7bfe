"""Partner Center service requests (App+User only): create, read, add a note, list a customer's; plus the control
route through which a test or demo plays Microsoft Support.

A repeated create with the same MS-RequestId answers 201 again with the request's current state (no second
request). The body names no customer, so a request concerns the customer whose tenant id or domain its title or
description mentions. Unknown ids answer RFC 7807 ProblemDetails, as the newer service request endpoints do.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web

from emulator import sr_wire
from emulator.demo_support import SUPPORT_PROFILE, SUPPORT_TOPICS
from emulator.partner_center import PREFIX, authorize, customer_or_refusal
from emulator.sr_store import STATUSES, StoredNote, StoredServiceRequest
from emulator.sr_wire import field_of, invalid, not_found, resource
from emulator.state import EmulatorState

BASE = PREFIX + "/v1/servicerequests"


def routes(state: EmulatorState) -> list[web.RouteDef]:
    """Routes under /partnercenter/v1/servicerequests and /partnercenter/v1/customers/{tenant}/servicerequests."""

    async def create(request: web.Request) -> web.Response:
        claims, refused = authorize(state, request)
        if refused is not None:
            return refused
        body = await _json(request)
        if body is None:
            return invalid("The request body is not a JSON object.")
        problem, topic_name = sr_wire.validate_new(body)
        if problem:
            return invalid(problem)
        author = sr_wire.user_name(claims)

        def make(sr_id: str, now: datetime) -> StoredServiceRequest:
            title, description = str(field_of(body, "Title")), str(field_of(body, "Description"))
            notes = [n for n in field_of(body, "Notes") or [] if isinstance(n, dict) and field_of(n, "Text")]
            return StoredServiceRequest(
                id=sr_id,
                title=title,
                description=description,
                severity=str(field_of(body, "Severity")).lower(),
                support_topic_id=str(field_of(body, "SupportTopicId")),
                support_topic_name=topic_name,
                status="open",
                organization={
                    "id": state.partner.tenant_id,
                    "name": state.partner.name,
                    "phoneNumber": SUPPORT_PROFILE["telephone"],
                },
                primary_contact=sr_wire.camel(field_of(body, "PrimaryContact")),
                last_updated_by=sr_wire.contact(claims),
                created=now,
                last_modified=now,
                country_code=str(field_of(body, "CountryCode") or state.partner.country),
                customer=sr_wire.customer_named(state, f"{title}\n{description}"),
                notes=[StoredNote(author, now, str(field_of(n, "Text"))) for n in notes],
            )

        item, _ = state.service_requests.create(request.headers.get("MS-RequestId", ""), make)
        return web.json_response(resource(item), status=201)

    async def read(request: web.Request) -> web.Response:
        _, refused = authorize(state, request)
        if refused is not None:
            return refused
        item = state.service_requests.get(request.match_info["id"], state.sr_script)
        return web.json_response(resource(item)) if item else not_found(request.match_info["id"])

    async def add_note(request: web.Request) -> web.Response:
        claims, refused = authorize(state, request)
        if refused is not None:
            return refused
        body = await _json(request)
        note = field_of(body, "NewNote") if body else None
        text = field_of(note, "Text") if isinstance(note, dict) else None
        if not isinstance(text, str) or not text.strip():
            return invalid("NewNote.Text is required.")
        sr_id = request.match_info["id"]
        request_id = request.headers.get("MS-RequestId", "")
        item = state.service_requests.add_note(sr_id, request_id, sr_wire.user_name(claims), text, state.sr_script)
        return web.json_response(resource(item)) if item else not_found(sr_id)

    async def of_customer(request: web.Request) -> web.Response:
        _, refused = authorize(state, request)
        if refused is not None:
            return refused
        customer = customer_or_refusal(state, request.match_info["tenant"])
        if isinstance(customer, web.Response):
            return customer
        mine = [i for i in state.service_requests.all(state.sr_script) if i.customer == customer.tenant_id]
        # As in Partner Center's example of this list: severity and status as integers, notes left out.
        items = [resource(item, integers=True, notes=False) for item in mine]
        return web.json_response({"totalCount": len(items), "items": items, "attributes": {"objectType": "Collection"}})

    async def support_topics(request: web.Request) -> web.Response:
        _, refused = authorize(state, request)
        if refused is not None:
            return refused
        items = [
            {"name": name, "description": text, "id": number, "attributes": {"objectType": "SupportTopic"}}
            for number, name, text in SUPPORT_TOPICS
        ]
        return web.json_response({"totalCount": len(items), "items": items, "attributes": {"objectType": "Collection"}})

    return [
        web.get(BASE + "/supporttopics", support_topics),  # before /{id}, which would take it
        web.post(BASE + "/{locale}", create),
        web.get(BASE + "/{id}", read),
        web.patch(BASE + "/{id}", add_note),
        web.get(PREFIX + "/v1/customers/{tenant}/servicerequests", of_customer),
    ]


def control_routes(state: EmulatorState, control: str) -> list[web.RouteDef]:
    """POST {control}/partnercenter/servicerequests/{id}/advance with {"note"?, "status"?}: Microsoft's move."""

    async def advance(request: web.Request) -> web.Response:
        body = await _json(request) or {}
        status = body.get("status")
        if status is not None and status not in STATUSES:
            return web.json_response({"error": f"status must be one of {', '.join(STATUSES)}"}, status=400)
        try:
            item = state.advance_service_request(request.match_info["id"], body.get("note"), status)
        except KeyError:
            return web.json_response({"error": "unknown service request"}, status=404)
        return web.json_response(resource(item))

    return [web.post(control + "/partnercenter/servicerequests/{id}/advance", advance)]


async def _json(request: web.Request) -> dict[str, Any] | None:
    try:
        body = await request.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None
