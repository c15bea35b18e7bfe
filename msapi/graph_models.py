"""What Microsoft Graph's service communications API returns, as frozen values, and their parsing from its
JSON (forgiving: a missing or malformed field becomes empty, never an exception)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from msapi.html_text import html_to_text

# serviceHealthStatus values that mean "running normally" (the docs spell them camelCase, the samples PascalCase).
HEALTHY_STATUSES = frozenset(
    {
        "serviceoperational",
        "servicerestored",
        "postincidentreviewpublished",
        "falsepositive",
        "resolved",
        "resolvedexternal",
        "mitigated",
        "mitigatedexternal",
    }
)


@dataclass(frozen=True)
class ServiceHealth:
    """One service of a tenant and its current status, as Microsoft spelled it."""

    service_id: str
    service: str
    status: str

    @property
    def healthy(self) -> bool:
        """Whether the service runs normally (statuses compared case-insensitively)."""
        return self.status.lower() in HEALTHY_STATUSES


@dataclass(frozen=True)
class HealthPost:
    """One update of an issue, its HTML turned into plain text."""

    created: datetime
    post_type: str
    text: str


@dataclass(frozen=True)
class HealthIssue:
    """An incident or advisory (serviceHealthIssue)."""

    id: str
    title: str
    service: str
    feature: str
    classification: str  # "incident" | "advisory" (lower-cased)
    status: str
    is_resolved: bool
    impact: str
    start: datetime | None
    end: datetime | None
    last_modified: datetime | None
    posts: tuple[HealthPost, ...]

    @property
    def latest_post(self) -> HealthPost | None:
        """The newest post, or None."""
        return max(self.posts, key=lambda post: post.created, default=None)

    @property
    def status_key(self) -> str:
        """The status lower-cased, for comparisons and message keys."""
        return self.status.lower()


@dataclass(frozen=True)
class MessageCenterItem:
    """A Message center announcement (serviceUpdateMessage,
    https://learn.microsoft.com/graph/api/resources/serviceupdatemessage). `category` and `severity` as Microsoft
    spelled them (the docs camelCase, the samples PascalCase): compare with `category_key`/`severity_key`."""

    id: str
    title: str
    category: str  # preventOrFixIssue | planForChange | stayInformed
    severity: str  # normal | high | critical
    services: tuple[str, ...]
    action_required_by: datetime | None
    last_modified: datetime | None
    is_major_change: bool = False
    start: datetime | None = None
    end: datetime | None = None
    tags: tuple[str, ...] = ()
    text: str = ""  # body.content (HTML) as plain text
    details: tuple[tuple[str, str], ...] = ()

    @property
    def category_key(self) -> str:
        """The category lower-cased, for comparisons."""
        return self.category.lower()

    @property
    def severity_key(self) -> str:
        """The severity lower-cased, for comparisons."""
        return self.severity.lower()


def parse_time(value: Any) -> datetime | None:
    """An aware UTC datetime from Graph's ISO 8601 text (any fraction digits, `Z`), or None."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def service_health(item: Mapping[str, Any]) -> ServiceHealth:
    """A serviceHealth object."""
    return ServiceHealth(service_id=_text(item, "id"), service=_text(item, "service"), status=_text(item, "status"))


def health_issue(item: Mapping[str, Any]) -> HealthIssue:
    """A serviceHealthIssue object."""
    posts = tuple(post for raw in _list(item, "posts") if (post := _post(raw)) is not None)
    return HealthIssue(
        id=_text(item, "id"),
        title=_text(item, "title"),
        service=_text(item, "service"),
        feature=_text(item, "feature"),
        classification=_text(item, "classification").lower(),
        status=_text(item, "status"),
        is_resolved=item.get("isResolved") is True,
        impact=_text(item, "impactDescription"),
        start=parse_time(item.get("startDateTime")),
        end=parse_time(item.get("endDateTime")),
        last_modified=parse_time(item.get("lastModifiedDateTime")),
        posts=posts,
    )


def message_item(item: Mapping[str, Any]) -> MessageCenterItem:
    """A serviceUpdateMessage object."""
    return MessageCenterItem(
        id=_text(item, "id"),
        title=_text(item, "title"),
        category=_text(item, "category"),
        severity=_text(item, "severity"),
        services=tuple(str(s) for s in _list(item, "services") if isinstance(s, str)),
        action_required_by=parse_time(item.get("actionRequiredByDateTime")),
        last_modified=parse_time(item.get("lastModifiedDateTime")),
        is_major_change=item.get("isMajorChange") is True,  # nullable in the docs: null is "not said", read as no
        start=parse_time(item.get("startDateTime")),
        end=parse_time(item.get("endDateTime")),
        tags=tuple(str(tag) for tag in _list(item, "tags") if isinstance(tag, str)),
        text=_body_text(item.get("body")),
        details=tuple((_text(d, "name"), _text(d, "value")) for d in _list(item, "details") if isinstance(d, dict)),
    )


def _body_text(body: Any) -> str:
    # itemBody {contentType, content}; Microsoft documents html as the one content type of a message's body.
    content = body.get("content") if isinstance(body, dict) else None
    return html_to_text(content) if isinstance(content, str) else ""


def _post(raw: Any) -> HealthPost | None:
    if not isinstance(raw, dict):
        return None
    created = parse_time(raw.get("createdDateTime"))
    if created is None:  # a post without a time cannot be ordered; Graph always sends one
        return None
    description = raw.get("description")
    content = description.get("content") if isinstance(description, dict) else None
    text = html_to_text(content) if isinstance(content, str) else ""
    return HealthPost(created=created, post_type=_text(raw, "postType"), text=text)


def _text(item: Mapping[str, Any], key: str) -> str:
    value = item.get(key)
    return value if isinstance(value, str) else ""


def _list(item: Mapping[str, Any], key: str) -> list[Any]:
    value = item.get(key)
    return value if isinstance(value, list) else []
