"""Graph's GDAP relationships in the partner tenant: `GET /graph/v1.0/tenantRelationships/delegatedAdminRelationships`
with Graph's wire format, paging ($top up to 300, `@odata.nextLink` carrying a $skipToken), `status eq` and
`customer/tenantId eq` filters, and the refusal of an app without DelegatedAdminRelationship.Read.All.

Pages: https://learn.microsoft.com/en-us/graph/api/tenantrelationship-list-delegatedadminrelationships?view=graph-rest-1.0
(permissions, query options, the sample response whose shape `relationship_resource` follows),
https://learn.microsoft.com/en-us/graph/api/resources/delegatedadminrelationship?view=graph-rest-1.0 (fields, statuses).
A missing permission: 403 `Authorization_RequestDenied` "Insufficient privileges to complete the operation."
(https://learn.microsoft.com/en-us/graph/resolve-auth-errors, 403 for missing permissions)."""

from __future__ import annotations

import base64
import re
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from aiohttp import web

from emulator import contract
from emulator.gdap_book import relationship_resource
from emulator.graph_wire import graph_error
from emulator.login import read_token

if TYPE_CHECKING:
    from emulator.state import EmulatorState

PREFIX = "/graph"
PATH = "/v1.0/tenantRelationships/delegatedAdminRelationships"
AUDIENCES = ("https://graph.microsoft.com", "https://graph.microsoft.us")
DEFAULT_PAGE, MAX_PAGE = 100, 300
_EQ = re.compile(r"^\s*(status|customer/tenantId)\s+eq\s+'([^']*)'\s*$", re.IGNORECASE)


def routes(state: EmulatorState) -> list[web.RouteDef]:
    """The list route under /graph."""

    async def listing(request: web.Request) -> web.Response:
        book = state.gdap
        claims = read_token(state, request)
        if claims is None:
            empty = not request.headers.get("Authorization")
            return graph_error(
                401,
                "InvalidAuthenticationToken",
                "Access token is empty." if empty else "Access token validation failure.",
            )
        if str(claims.get("aud")) not in AUDIENCES:
            return graph_error(401, "InvalidAuthenticationToken", "Access token validation failure. Invalid audience.")
        row = contract.endpoint("graph", "GET", PATH)
        if contract.kind_of(claims) not in row.kinds:
            return graph_error(403, "Forbidden", f"This API does not accept {contract.kind_of(claims).value} tokens.")
        if not book.permission_granted:
            return graph_error(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
        tenant = str(claims.get("tid"))
        # Only the partner tenant has relationships as a partner: any other tenant's list is empty.
        items = [relationship_resource(r) for r in book.all()] if tenant == state.partner.tenant_id else []
        return _collection(request, items)

    return [web.get(PREFIX + PATH, listing)]


def _collection(request: web.Request, items: list[dict[str, Any]]) -> web.Response:
    query = request.query
    clause = query.get("$filter")
    if clause:
        matched = _EQ.match(clause)
        if matched is None:
            return graph_error(
                400,
                "BadRequest",
                f"Invalid filter clause: '{clause}' (the emulator knows 'status eq …' and 'customer/tenantId eq …').",
            )
        field_name, wanted = matched.group(1).lower(), matched.group(2).lower()
        if field_name == "status":
            items = [item for item in items if str(item["status"]).lower() == wanted]
        else:
            items = [item for item in items if item["customer"]["tenantId"].lower() == wanted]
    top = query.get("$top", str(DEFAULT_PAGE))
    if not re.fullmatch(r"[0-9]{1,4}", top) or not 1 <= int(top) <= MAX_PAGE:
        return graph_error(400, "BadRequest", f"Invalid value '{top}' for query option $top (1 to {MAX_PAGE}).")
    token = query.get("$skipToken") or query.get("$skiptoken") or ""
    try:
        skip = int(base64.urlsafe_b64decode(token.encode()).decode()) if token else 0
    except ValueError:
        return graph_error(400, "BadRequest", "Invalid $skipToken.")
    page = int(top)
    context = "https://graph.microsoft.com/v1.0/tenantRelationships/$metadata#delegatedAdminRelationships"
    body: dict[str, Any] = {"@odata.context": context, "value": items[skip : skip + page]}
    if skip + page < len(items):
        options = {k: v for k, v in query.items() if k.lower() != "$skiptoken"}
        options["$skipToken"] = base64.urlsafe_b64encode(str(skip + page).encode()).decode()
        link = f"{request.scheme}://{request.host}{request.path}?{urlencode(options, quote_via=quote, safe='$')}"
        body = {"@odata.context": context, "@odata.nextLink": link, "value": body["value"]}
    return web.json_response(body, headers={"OData-Version": "4.0"})


def control_routes(state: EmulatorState, control: str) -> list[web.RouteDef]:
    """POST {control}/gdap/relationships/{id} ({"status"?, "endDateTime"?, "autoExtendDuration"?, "roles"?}) changes
    one relationship; POST {control}/gdap/permission ({"granted": bool}) grants or withdraws the app's permission."""

    async def change(request: web.Request) -> web.Response:
        try:
            body = await request.json()
            changes = _changes(body)
            found = state.gdap.change(request.match_info["id"], **changes)
        except KeyError:
            return web.json_response({"error": f"no relationship {request.match_info['id']}"}, status=404)
        except (ValueError, TypeError) as error:
            return web.json_response({"error": str(error)}, status=400)
        return web.json_response(relationship_resource(found))

    async def permission(request: web.Request) -> web.Response:
        try:
            body = await request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict) or not isinstance(body.get("granted"), bool):
            return web.json_response({"error": "granted (true or false) is required"}, status=400)
        state.gdap.permission_granted = body["granted"]
        return web.json_response({"granted": state.gdap.permission_granted})

    return [
        web.post(control + "/gdap/relationships/{id}", change),
        web.post(control + "/gdap/permission", permission),
    ]


def _changes(body: Any) -> dict[str, Any]:
    """The fields a control request changes, from Graph's names; ValueError for anything else."""
    if not isinstance(body, dict) or not body:
        raise ValueError("a JSON object with status, endDateTime, autoExtendDuration or roles is required")
    changes: dict[str, Any] = {}
    for key, value in body.items():
        if key == "status" and isinstance(value, str):
            changes["status"] = value
        elif key == "autoExtendDuration" and value in ("PT0S", "P0D", "P180D"):
            changes["auto_extend"] = value
        elif key == "endDateTime" and isinstance(value, str):
            changes["end"] = datetime.fromisoformat(value.replace("Z", "+00:00"))
        elif key == "roles" and isinstance(value, list) and all(isinstance(role, str) for role in value):
            changes["roles"] = tuple(value)
        else:
            raise ValueError(f"cannot set {key} to {value!r}")
    return changes
