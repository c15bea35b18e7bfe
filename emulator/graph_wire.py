"""Graph's wire format for service communications: resources as Graph serialises them, its error body, and
the control routes' JSON for an issue (Graph's own field names, plus the tenants it affects)."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from emulator.demo import DemoIssue, DemoMessage
from emulator.demo_health import SERVICE_IDS


def iso(moment: datetime | None) -> str | None:
    """Graph's timestamp form, e.g. 2020-11-14T18:20:24.767Z."""
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def service_resource(name: str, status: str) -> dict[str, Any]:
    """A serviceHealth object."""
    return {"service": name, "status": status, "id": SERVICE_IDS.get(name, name.replace(" ", ""))}


def issue_resource(issue: DemoIssue) -> dict[str, Any]:
    """A serviceHealthIssue object."""
    return {
        "startDateTime": iso(issue.start),
        "endDateTime": iso(issue.end),
        "lastModifiedDateTime": iso(issue.last_modified or issue.start),
        "title": issue.title,
        "id": issue.id,
        "impactDescription": issue.impact,
        "classification": issue.classification,
        "origin": "Microsoft",
        "status": issue.status,
        "service": issue.service,
        "feature": issue.feature,
        "featureGroup": issue.feature_group or issue.feature,
        "isResolved": issue.resolved,
        "highImpact": None,
        "details": [{"name": "NotifyInApp", "value": "True"}],
        "posts": [
            {
                "createdDateTime": iso(created),
                "postType": "Regular",
                "description": {"contentType": "Html", "content": content},
            }
            for created, content in issue.posts
        ],
    }


def message_resource(message: DemoMessage) -> dict[str, Any]:
    """A serviceUpdateMessage object (viewPoint is null under application permissions)."""
    return {
        "startDateTime": iso(message.start),
        "endDateTime": iso(message.end),
        "lastModifiedDateTime": iso(message.last_modified),
        "title": message.title,
        "id": message.id,
        "category": message.category,
        "severity": message.severity,
        "tags": list(message.tags),
        "isMajorChange": message.is_major_change,
        "actionRequiredByDateTime": iso(message.action_required_by),
        "services": list(message.services),
        "expiryDateTime": None,
        "details": [],
        "body": {"contentType": "Html", "content": message.body},
        "viewPoint": None,
    }


def graph_error(
    status: int,
    code: str,
    message: str,
    headers: dict[str, str] | None = None,
    inner: dict[str, str] | None = None,
) -> web.Response:
    """Graph's error body, with the request id in `innerError` (plus `inner`) and in the headers."""
    request_id = str(uuid.uuid4())
    details = {"date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S"), "request-id": request_id}
    details["client-request-id"] = request_id
    body = {"error": {"code": code, "message": message, "innerError": {**(inner or {}), **details}}}
    all_headers = {"request-id": request_id, "client-request-id": request_id, **(headers or {})}
    return web.json_response(body, status=status, headers=all_headers)


def too_many_requests(retry_after: str) -> web.Response:
    """Graph's throttling answer: 429 TooManyRequests with Retry-After (seconds), as Graph's throttling page
    shows it."""
    inner = {"code": "429", "message": "Please retry after", "status": "429"}
    return graph_error(429, "TooManyRequests", "Please retry again later.", {"Retry-After": retry_after}, inner)


def issue_from_json(body: Any, existing: DemoIssue | None, now: datetime) -> DemoIssue:
    """An issue from the control route's JSON; fields left out keep their current values. ValueError if bad."""
    if not isinstance(body, dict):
        raise ValueError("the body must be a JSON object")
    issue_id = body.get("id")
    if not isinstance(issue_id, str) or not issue_id.strip() or "/" in issue_id:
        raise ValueError("id must be a non-empty string without '/'")
    tenants = body.get("tenants", list(existing.tenants) if existing else None)
    if not isinstance(tenants, list) or not tenants or not all(isinstance(t, str) for t in tenants):
        raise ValueError("tenants must be a non-empty list of tenant ids")
    base = existing or DemoIssue(issue_id, "", "", "", "Incident", "Investigating", "", now, ())
    changes: dict[str, Any] = {"tenants": tuple(t.lower() for t in tenants)}
    for field, key in (
        ("title", "title"),
        ("service", "service"),
        ("feature", "feature"),
        ("feature_group", "featureGroup"),
        ("classification", "classification"),
        ("status", "status"),
        ("impact", "impactDescription"),
    ):
        if key in body:
            if not isinstance(body[key], str):
                raise ValueError(f"{key} must be a string")
            changes[field] = body[key]
    if "isResolved" in body:
        changes["resolved"] = body["isResolved"] is True
    for field, key in (("start", "startDateTime"), ("end", "endDateTime")):
        if key in body:
            changes[field] = _time(body[key], key)
    if "posts" in body:
        changes["posts"] = _posts(body["posts"], now)
    issue = replace(base, **changes)
    if issue.start is None:
        raise ValueError("startDateTime must be a timestamp")
    return issue


def message_from_json(body: Any, now: datetime) -> DemoMessage:
    """A Message center post from the control route's JSON: Graph's field names (serviceUpdateMessage) plus the
    `tenants` that see it; body.content is HTML. ValueError if bad."""
    if not isinstance(body, dict):
        raise ValueError("the body must be a JSON object")
    post_id, title = body.get("id"), body.get("title")
    if not isinstance(post_id, str) or not post_id.strip() or "/" in post_id or not isinstance(title, str):
        raise ValueError("id (a non-empty string without '/') and title are required")
    tenants, services = body.get("tenants"), body.get("services", [])
    if not isinstance(tenants, list) or not tenants or not all(isinstance(t, str) for t in tenants):
        raise ValueError("tenants must be a non-empty list of tenant ids")
    if not isinstance(services, list) or not all(isinstance(s, str) for s in services):
        raise ValueError("services must be a list of strings")
    content = body.get("body", {}).get("content", "") if isinstance(body.get("body"), dict) else ""
    return DemoMessage(
        id=post_id,
        title=title,
        category=str(body.get("category") or "StayInformed"),
        severity=str(body.get("severity") or "Normal"),
        services=tuple(services),
        body=str(content),
        start=_time(body.get("startDateTime"), "startDateTime") or now,
        last_modified=now,
        tenants=tuple(t.lower() for t in tenants),
        action_required_by=_time(body.get("actionRequiredByDateTime"), "actionRequiredByDateTime"),
        is_major_change=body.get("isMajorChange") is True,
        tags=tuple(str(tag) for tag in body.get("tags", []) if isinstance(tag, str)),
        end=_time(body.get("endDateTime"), "endDateTime"),
    )


def _posts(raw: Any, now: datetime) -> tuple[tuple[datetime, str], ...]:
    if not isinstance(raw, list):
        raise ValueError("posts must be a list")
    posts = []
    for post in raw:
        if isinstance(post, str):
            posts.append((now, post))
            continue
        description = post.get("description") if isinstance(post, dict) else None
        content = description.get("content") if isinstance(description, dict) else None
        if not isinstance(content, str):
            raise ValueError("each post is a string or has description.content")
        posts.append((_time(post.get("createdDateTime"), "createdDateTime") or now, content))
    return tuple(posts)


def _time(value: Any, key: str) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError as error:
        raise ValueError(f"{key} must be an ISO 8601 timestamp") from error
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
