"""Authorization, filters and paging shared by the onboarding Graph routes (emulator/teams_apps.py,
emulator/directory.py): each route's contract row (emulator/contract.py) says which token kinds and which
permissions it takes, as its Learn page does."""

from __future__ import annotations

import base64
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from aiohttp import web

from emulator import contract
from emulator.graph import AUDIENCES, PREFIX, Refused
from emulator.graph_wire import too_many_requests
from emulator.login import read_token

if TYPE_CHECKING:
    from emulator.state import EmulatorState

_CLAUSE = re.compile(r"^\s*(?:([\w/]+)\s+eq\s+'([^']*)'|startswith\(\s*([\w/]+)\s*,\s*'([^']*)'\s*\))\s*$", re.I)


def authorize(state: EmulatorState, request: web.Request, paced: bool = False) -> tuple[str, str]:
    """The caller's tenant and app id, or Refused: 401 for no or a foreign token or no consent in the tenant, 403
    for a token kind or permission set the route's row does not accept, 429 past the Teams pace when `paced`."""
    claims = read_token(state, request)
    if claims is None or str(claims.get("aud")) not in AUDIENCES:
        raise Refused(401, "InvalidAuthenticationToken", "Access token validation failure.")
    tenant = str(claims.get("tid"))
    if state.customer(tenant) is None or tenant in state.graph_consent_missing:
        # https://learn.microsoft.com/graph/resolve-auth-errors: a token for a tenant where the app has no service
        # principal; the same answer as the service communications routes give (emulator/graph.py).
        message = "The identity of the calling application could not be established."
        raise Refused(401, "Authorization_IdentityNotFound", message)
    route = request.match_info.route.resource
    row = contract.endpoint("graph", request.method, (route.canonical if route else "").removeprefix(PREFIX))
    kind = contract.kind_of(claims)
    if kind not in row.kinds:
        # The page's table says "Not supported." for this kind; Graph's body for it is the emulator's choice.
        raise Refused(403, "Forbidden", f"This API does not accept {kind.value} tokens.")
    held = _permissions(claims, kind)
    wanted = row.user_permissions if kind is contract.USER else row.app_permissions
    if not held & wanted:
        if "/teamwork/" not in row.path and row.path.startswith(("/v1.0/users", "/v1.0/groups")):
            # The directory's answer (https://learn.microsoft.com/graph/resolve-auth-errors, emulator/gdap.py).
            raise Refused(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
        # Teams: wording modelled on Graph's Teams answer; the exact text is the emulator's choice.
        needed = ", ".join(sorted(wanted))
        raise Refused(403, "Forbidden", f"Missing role permissions on the request. API requires one of '{needed}'.")
    if paced:
        wait = state.teams.throttle(str(claims.get("appid")), tenant)
        if wait is not None:
            raise Refused(429, "TooManyRequests", "Please retry again later.", too_many_requests(str(wait)))
    return tenant, str(claims.get("appid"))


def _permissions(claims: dict[str, object], kind: contract.Kind) -> set[str]:
    if kind is contract.USER:
        return set(str(claims.get("scp") or "").split())
    roles = claims.get("roles")
    return {str(role) for role in roles} if isinstance(roles, list) else set()


def matches(item: dict[str, Any], clause: str | None, known: frozenset[str]) -> bool:
    """Whether `item` passes a $filter of `eq`/startswith clauses joined by one of `and`/`or` on the `known` paths
    (a/b for nested fields); Refused 400 for anything else, as Graph refuses a filter it cannot apply."""
    if not clause:
        return True
    joiner = " or " if re.search(r"\s+or\s+", clause, re.I) else " and "
    results = []
    for part in re.split(rf"\s+{joiner.strip()}\s+", clause, flags=re.I):
        found = _CLAUSE.match(part)
        path = (found.group(1) or found.group(3)) if found else None
        if found is None or path is None or path.lower() not in known:
            raise Refused(400, "BadRequest", f"Invalid filter clause: '{clause}'.")
        value = _lookup(item, path)
        wanted = (found.group(2) if found.group(1) else found.group(4)) or ""
        text = str(value or "").lower()
        results.append(text == wanted.lower() if found.group(1) else text.startswith(wanted.lower()))
    return any(results) if joiner == " or " else all(results)


def _lookup(item: dict[str, Any], path: str) -> Any:
    value: Any = item
    for step in path.split("/"):
        value = (
            next((v for k, v in value.items() if k.lower() == step.lower()), None) if isinstance(value, dict) else None
        )
    return value


def collection(request: web.Request, items: list[dict[str, Any]], context: str, max_page: int) -> web.Response:
    """A Graph collection page: $top (1 to `max_page`, default 100) and `@odata.nextLink` with a $skiptoken."""
    top = request.query.get("$top", str(min(100, max_page)))
    if not re.fullmatch(r"[0-9]{1,4}", top) or not 1 <= int(top) <= max_page:
        raise Refused(400, "BadRequest", f"Invalid value '{top}' for query option $top (1 to {max_page}).")
    token = request.query.get("$skiptoken") or request.query.get("$skipToken") or ""
    try:
        skip = int(base64.urlsafe_b64decode(token.encode()).decode()) if token else 0
    except ValueError:
        raise Refused(400, "BadRequest", "Invalid $skiptoken.") from None
    page = int(top)
    body: dict[str, Any] = {"@odata.context": context, "value": items[skip : skip + page]}
    if skip + page < len(items):
        options = {k: v for k, v in request.query.items() if k.lower() != "$skiptoken"}
        options["$skiptoken"] = base64.urlsafe_b64encode(str(skip + page).encode()).decode()
        link = f"{request.scheme}://{request.host}{request.path}?{urlencode(options, quote_via=quote, safe='$')}"
        body = {"@odata.context": context, "@odata.nextLink": link, "value": body["value"]}
    return web.json_response(body, headers={"OData-Version": "4.0"})
