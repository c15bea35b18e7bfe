"""Microsoft Graph's service communications routes under /graph (healthOverviews, issues, messages) with
Graph's paging (`@odata.nextLink`, absolute, with `$skip`), and control routes to change issues while running."""

from __future__ import annotations

import functools
import re
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote, urlencode

from aiohttp import web

from emulator import contract
from emulator.demo_storm import STORM_ID
from emulator.graph_wire import (
    graph_error,
    issue_from_json,
    issue_resource,
    message_from_json,
    message_resource,
    service_resource,
    too_many_requests,
)
from emulator.login import read_token
from emulator.state import EmulatorState

PREFIX = "/graph"
ANNOUNCEMENTS = "/v1.0/admin/serviceAnnouncement"
AUDIENCES = ("https://graph.microsoft.com", "https://graph.microsoft.us")
DEFAULT_PAGE, MAX_PAGE = 100, 1000
MESSAGES_PERMISSION = "ServiceMessage.Read.All"
# https://learn.microsoft.com/en-us/graph/api/serviceannouncement-list-healthoverviews?view=graph-rest-1.0 (and the
# issue pages): ServiceHealth.Read.All, delegated or application.
HEALTH_PERMISSION = "ServiceHealth.Read.All"
_RESOLVED_FILTER = re.compile(r"^\s*isResolved\s+eq\s+(true|false)\s*$", re.IGNORECASE)
_ORDER_BY = re.compile(r"^\s*(\w+)(?:\s+(asc|desc))?\s*$", re.IGNORECASE)
Handler = Callable[[web.Request], Awaitable[web.Response]]


class Refused(Exception):
    """Ends a request with Graph's error answer."""

    def __init__(self, status: int, code: str, message: str, response: web.Response | None = None) -> None:
        super().__init__(message)
        self.response = response if response is not None else graph_error(status, code, message)


def _answers_refusals(handler: Handler) -> Handler:
    @functools.wraps(handler)
    async def wrapped(request: web.Request) -> web.Response:
        try:
            return await handler(request)
        except Refused as refused:
            return refused.response

    return wrapped


def routes(state: EmulatorState) -> list[web.RouteDef]:
    """Routes under /graph."""

    async def health_overviews(request: web.Request) -> web.Response:
        tenant, audience = _authorize(state, request, HEALTH_PERMISSION)
        items = [service_resource(name, status) for name, status in state.tenant_health(tenant).items()]
        return _collection(request, items, f"{audience}/v1.0/$metadata#admin/serviceAnnouncement/healthOverviews")

    async def issues(request: web.Request) -> web.Response:
        tenant, audience = _authorize(state, request, HEALTH_PERMISSION)
        items = [issue_resource(issue) for issue in state.tenant_issues(tenant)]
        return _collection(request, items, f"{audience}/v1.0/$metadata#admin/serviceAnnouncement/issues", True)

    async def issue(request: web.Request) -> web.Response:
        tenant, audience = _authorize(state, request, HEALTH_PERMISSION)
        wanted = request.match_info["id"]
        found = next((i for i in state.tenant_issues(tenant) if i.id == wanted), None)
        if found is None:
            raise Refused(404, "NotFound", f"The requested issue '{wanted}' was not found.")
        context = f"{audience}/v1.0/$metadata#admin/serviceAnnouncement/issues/$entity"
        return _json({"@odata.context": context, **issue_resource(found)})

    async def messages(request: web.Request) -> web.Response:
        # https://learn.microsoft.com/graph/api/serviceannouncement-list-messages: ServiceMessage.Read.All,
        # delegated (work or school) or application.
        tenant, audience = _authorize(state, request, MESSAGES_PERMISSION)
        items = [message_resource(message) for message in state.tenant_messages(tenant)]
        return _collection(request, items, f"{audience}/v1.0/$metadata#admin/serviceAnnouncement/messages")

    base = PREFIX + ANNOUNCEMENTS
    return [
        web.get(base + "/healthOverviews", _answers_refusals(health_overviews)),
        web.get(base + "/issues", _answers_refusals(issues)),
        web.get(base + "/issues/{id}", _answers_refusals(issue)),
        web.get(base + "/messages", _answers_refusals(messages)),
    ]


def control_routes(state: EmulatorState, control: str) -> list[web.RouteDef]:
    """POST {control}/graph/issues (upsert), .../issues/{id}/posts ({"text", "status"?}), .../issues/{id}/resolve,
    .../graph/storm ({"id"?, "tenants"?}: an incident storm, emulator/demo_storm.py);
    POST {control}/graph/messages (a Message center post, added or replaced)."""

    async def upsert(request: web.Request) -> web.Response:
        body = await _body(request)
        existing = state.issues.get(str(body.get("id"))) if isinstance(body, dict) else None
        try:
            issue = issue_from_json(body, existing, state.clock())
        except ValueError as error:
            return web.json_response({"error": str(error)}, status=400)
        return web.json_response(issue_resource(state.upsert_issue(issue)), status=200 if existing else 201)

    async def add_post(request: web.Request) -> web.Response:
        body = await _body(request)
        text, status = (body.get("text"), body.get("status")) if isinstance(body, dict) else (None, None)
        if not isinstance(text, str) or not text or not isinstance(status, str | None):
            return web.json_response({"error": "text (string) is required; status is optional"}, status=400)
        return _changed(lambda issue_id: state.add_post(issue_id, text, status), request)

    async def resolve(request: web.Request) -> web.Response:
        return _changed(state.resolve_issue, request)

    async def upsert_message(request: web.Request) -> web.Response:
        try:
            message = message_from_json(await _body(request), state.clock())
        except ValueError as error:
            return web.json_response({"error": str(error)}, status=400)
        with state.lock:
            existed = message.id in state.messages
            state.messages[message.id] = message
        return web.json_response(message_resource(message), status=200 if existed else 201)

    async def storm(request: web.Request) -> web.Response:
        # An incident storm (emulator/demo_storm.py): {"id"?, "tenants"?}; answers the issue as Graph serves it.
        body = await _body(request) if request.can_read_body else {}
        if not isinstance(body, dict):
            return web.json_response({"error": "the body must be a JSON object (or empty)"}, status=400)
        issue_id, tenants = body.get("id", STORM_ID), body.get("tenants")
        if not isinstance(issue_id, str) or not issue_id.strip() or "/" in issue_id:
            return web.json_response({"error": "id must be a non-empty string without '/'"}, status=400)
        if tenants is not None and (not isinstance(tenants, list) or not all(isinstance(t, str) for t in tenants)):
            return web.json_response({"error": "tenants must be a list of tenant ids"}, status=400)
        try:
            issue = state.start_storm(issue_id, tuple(tenants) if tenants else None)
        except ValueError as error:
            return web.json_response({"error": str(error)}, status=400)
        return web.json_response(issue_resource(issue), status=201)

    return [
        web.post(control + "/graph/messages", upsert_message),
        web.post(control + "/graph/issues", upsert),
        web.post(control + "/graph/issues/{id}/posts", add_post),
        web.post(control + "/graph/issues/{id}/resolve", resolve),
        web.post(control + "/graph/storm", storm),
    ]


def _authorize(state: EmulatorState, request: web.Request, permission: str | None = None) -> tuple[str, str]:
    """The caller's tenant and token audience; raises Graph's 401 when the token will not do, 403 when its kind
    (app-only or App+User) is not one the route's contract row lists or it does not carry `permission` (an app-only
    token's `roles`, a user token's `scp`), and 429 when the app has used up one of the tenant's service
    communications limits (`state.graph_limits`)."""
    claims = read_token(state, request)
    if claims is None:
        empty = not request.headers.get("Authorization")
        message = "Access token is empty." if empty else "Access token validation failure."
        raise Refused(401, "InvalidAuthenticationToken", message)
    audience, tenant = str(claims.get("aud")), str(claims.get("tid"))
    if audience not in AUDIENCES:
        raise Refused(401, "InvalidAuthenticationToken", "Access token validation failure. Invalid audience.")
    if state.customer(tenant) is None:
        raise Refused(401, "InvalidAuthenticationToken", "Access token validation failure. Invalid tenant.")
    if tenant in state.graph_consent_missing:
        message = "The identity of the calling application could not be established."
        raise Refused(401, "Authorization_IdentityNotFound", message)
    route = request.match_info.route.resource
    row = contract.endpoint("graph", request.method, (route.canonical if route else "").removeprefix(PREFIX))
    if contract.kind_of(claims) not in row.kinds:
        # No service communications row refuses a kind today (each page lists delegated and application
        # permissions); should one, Graph's 403 body is the emulator's choice, as no page shows this refusal.
        raise Refused(403, "Forbidden", f"This API does not accept {contract.kind_of(claims).value} tokens.")
    if permission is not None and permission not in _permissions(claims):
        # Graph's 403 for a token without the permission: https://learn.microsoft.com/graph/errors (403 Forbidden,
        # "Access is denied to the requested resource. The user might not have enough permission") and
        # https://learn.microsoft.com/graph/resolve-auth-errors ("403 Forbidden error: have you chosen the right set of
        # permissions?"); the code is Graph's generic "Forbidden".
        message = "Access is denied to the requested resource. The user might not have enough permission."
        raise Refused(403, "Forbidden", message)
    wait = state.graph_throttle(str(claims.get("appid")), tenant)
    if wait is not None:
        raise Refused(429, "TooManyRequests", "Please retry again later.", too_many_requests(str(wait)))
    return tenant, audience


def _permissions(claims: dict[str, object]) -> set[str]:
    if contract.kind_of(claims) is contract.USER:
        return set(str(claims.get("scp") or "").split())
    roles = claims.get("roles")
    return {str(role) for role in roles} if isinstance(roles, list) else set()


def _collection(
    request: web.Request, items: list[dict[str, Any]], context: str, resolvable: bool = False
) -> web.Response:
    """`items` filtered, ordered and paged per the query, as a Graph collection."""
    query = request.query
    selected = _filtered(items, query.get("$filter"), resolvable)
    selected = _ordered(selected, query.get("$orderby"))
    skip = _number(query.get("$skip"), 0, "$skip", low=0)
    preferred = re.search(r"odata\.maxpagesize\s*=\s*(\d+)", request.headers.get("Prefer", ""))
    page = _number(query.get("$top"), int(preferred.group(1)) if preferred else DEFAULT_PAGE, "$top", low=1)
    page = min(page, MAX_PAGE)
    body: dict[str, Any] = {"@odata.context": context, "value": selected[skip : skip + page]}
    if skip + page < len(selected):
        options = {key: value for key, value in query.items() if key != "$skip"} | {"$skip": str(skip + page)}
        link = f"{request.scheme}://{request.host}{request.path}?{urlencode(options, quote_via=quote, safe='$')}"
        body = {"@odata.context": context, "@odata.nextLink": link, "value": body["value"]}
    headers = {"Preference-Applied": f"odata.maxpagesize={page}"} if preferred else {}
    return _json(body, headers)


def _filtered(items: list[dict[str, Any]], clause: str | None, resolvable: bool) -> list[dict[str, Any]]:
    if not clause:
        return items
    matched = _RESOLVED_FILTER.match(clause)
    if matched is None or not resolvable:
        # Graph filters on any property; the emulator knows the one filter the desk sends.
        raise Refused(400, "BadRequest", f"Invalid filter clause: '{clause}' (the emulator knows 'isResolved eq …').")
    wanted = matched.group(1).lower() == "true"
    return [item for item in items if item.get("isResolved") is wanted]


def _ordered(items: list[dict[str, Any]], clause: str | None) -> list[dict[str, Any]]:
    if not clause:
        return items
    matched = _ORDER_BY.match(clause)
    if matched is None or (items and matched.group(1) not in items[0]):
        raise Refused(400, "BadRequest", f"Invalid $orderby: '{clause}'.")
    field, descending = matched.group(1), (matched.group(2) or "asc").lower() == "desc"
    return sorted(items, key=lambda item: str(item.get(field) or ""), reverse=descending)


def _number(raw: str | None, default: int, name: str, low: int) -> int:
    if raw is None:
        return default
    if not re.fullmatch(r"[0-9]{1,9}", raw) or int(raw) < low:
        raise Refused(400, "BadRequest", f"Invalid value '{raw}' for query option {name}.")
    return int(raw)


def _json(body: dict[str, Any], headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response(body, headers={"OData-Version": "4.0", **(headers or {})})


async def _body(request: web.Request) -> Any:
    try:
        return await request.json()
    except ValueError:
        return None


def _changed(change: Callable[[str], Any], request: web.Request) -> web.Response:
    issue_id = request.match_info["id"]
    try:
        issue = change(issue_id)
    except KeyError:
        return web.json_response({"error": f"no issue {issue_id}"}, status=404)
    return web.json_response(issue_resource(issue))
