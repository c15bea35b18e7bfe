"""Service-health cards: one customer's services, its incidents, the sweep over all customers, the monitor's
incident card, and the customer's own plain-words status. Text from Microsoft goes into TextRuns too."""

from __future__ import annotations

from typing import Any

from cards.actions import open_url
from cards.format import Translate, card_time, clip, fact, maybe
from cards.messages import message_card
from desk.health import SharedIssue, Sweep, TenantHealth


def status_words(t: Translate, status: str) -> str:
    """A Graph status (camelCase or PascalCase) in the reader's words; unknown values as Microsoft wrote them."""
    key = status[:1].lower() + status[1:] if status else "unknown"
    return maybe(t, f"health.status.{key}") or status


def health_card(t: Translate, health: TenantHealth, admin_url: str, problem: str | None) -> dict[str, Any]:
    """Each service and its status, degraded ones first."""
    heading = t("health.heading", customer=health.customer.name)
    if problem:
        return message_card(heading, problem, actions=[open_url(t("action.admin_center"), admin_url)])
    services = sorted(health.services, key=lambda s: (s.healthy, s.service.casefold()))
    facts = [fact(("⚠ " if not s.healthy else "") + s.service, status_words(t, s.status)) for s in services]
    summary = (
        t("health.all_healthy")
        if not health.degraded
        else t(
            "health.some_degraded",
            services=t("health.degraded_services", count=len(health.degraded)),
            issues=t("health.open_issues", count=len(health.issues)),
        )
    )
    extra: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": summary, "wrap": True},
        {"type": "FactSet", "facts": facts},
    ]
    return message_card(heading, extra=extra, actions=[open_url(t("action.admin_center"), admin_url)])


def issue_blocks(t: Translate, issue: Any, customers: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    """One incident or advisory: id, service, status, impact, start, affected customers, latest post."""
    kind = t(f"health.kind.{issue.classification}") if issue.classification in ("incident", "advisory") else ""
    line = " · ".join(part for part in (issue.id, issue.service, kind, status_words(t, issue.status)) if part)
    inlines = [
        {"type": "TextRun", "text": line + "\n", "weight": "Bolder"},
        {"type": "TextRun", "text": issue.title},
    ]
    blocks: list[dict[str, Any]] = [{"type": "RichTextBlock", "inlines": inlines, "separator": True}]
    facts = []
    if issue.start:
        facts.append(fact(t("health.started"), card_time(issue.start)))
    if customers:
        facts.append(fact(t("health.affected"), ", ".join(c.name for c in customers)))
    if facts:
        blocks.append({"type": "FactSet", "facts": facts})
    if issue.impact:
        blocks.append({"type": "RichTextBlock", "inlines": [{"type": "TextRun", "text": clip(issue.impact, 500)}]})
    post = issue.latest_post
    if post is not None:
        label = t("health.latest", when=card_time(post.created))
        text = [
            {"type": "TextRun", "text": label + "\n", "isSubtle": True},
            {"type": "TextRun", "text": clip(post.text, 600)},
        ]
        blocks.append({"type": "RichTextBlock", "inlines": text})
    return blocks


def incidents_card(t: Translate, health: TenantHealth, admin_url: str, problem: str | None) -> dict[str, Any]:
    """A customer's open incidents and advisories."""
    heading = t("incidents.heading", customer=health.customer.name)
    actions = [open_url(t("action.admin_center"), admin_url)]
    if problem:
        return message_card(heading, problem, actions=actions)
    if not health.issues:
        return message_card(heading, extra=[_line(t("incidents.none"))], actions=actions)
    extra = [block for issue in health.issues[:10] for block in issue_blocks(t, issue)]
    if len(health.issues) > 10:
        extra.append(_line(t("incidents.more", count=len(health.issues) - 10)))
    return message_card(heading, extra=extra, actions=actions)


def progress_card(t: Translate, done: int, total: int) -> dict[str, Any]:
    """The sweep's message while it runs."""
    return message_card(t("sweep.running"), extra=[_line(t("sweep.progress", done=done, count=total))])


def sweep_card(t: Translate, sweep: Sweep, problems: dict[str, str]) -> dict[str, Any]:
    """Every customer at once: shared incidents once each (with the customers affected), then who could not be
    read and why (`problems` maps tenant id -> reason)."""
    issues = sweep.issues
    degraded = [h for h in sweep.tenants if h.error is None and h.degraded]
    summary = t(
        "sweep.summary",
        checked=t("sweep.checked", count=len(sweep.tenants)),
        issues=t("health.open_issues", count=len(issues)),
        degraded=t("sweep.degraded", count=len(degraded)),
    )
    extra: list[dict[str, Any]] = [_line(summary)]
    for shared in issues[:12]:
        extra += issue_blocks(t, shared.issue, shared.customers)
    if len(issues) > 12:
        extra.append(_line(t("incidents.more", count=len(issues) - 12)))
    if sweep.unreadable:
        extra.append(
            {"type": "TextBlock", "text": t("sweep.unreadable"), "weight": "Bolder", "wrap": True, "separator": True}
        )
        extra.append(
            {
                "type": "FactSet",
                "facts": [fact(h.customer.name, problems.get(h.customer.tenant_id, "")) for h in sweep.unreadable[:30]],
            }
        )
    return message_card(t("sweep.heading"), extra=extra)


def incident_card(t: Translate, shared: SharedIssue, resolved: bool, admin_url: str | None = None) -> dict[str, Any]:
    """The monitor's card for one incident in the triage channel, updated in place until it is resolved."""
    key = "monitor.resolved" if resolved else "monitor.heading"
    heading = t(key, id=shared.issue.id, service=shared.issue.service)
    actions = [open_url(t("action.admin_center"), admin_url)] if admin_url else []
    return message_card(heading, extra=issue_blocks(t, shared.issue, shared.customers), actions=actions)


def customer_status_card(t: Translate, health: TenantHealth, problem: str | None) -> dict[str, Any]:
    """The customer's own tenant, in plain words."""
    heading = t("status.heading")
    if problem:
        return message_card(heading, extra=[_line(t("status.unknown"))])
    if not health.degraded and not health.issues:
        return message_card(heading, extra=[_line(t("status.all_good"))])
    extra: list[dict[str, Any]] = [_line(t("status.some_trouble"))]
    for issue in health.issues[:5]:
        words = t("status.issue", service=issue.service, status=status_words(t, issue.status))
        inlines = [
            {"type": "TextRun", "text": words + "\n", "weight": "Bolder"},
            {"type": "TextRun", "text": issue.impact or issue.title},
        ]
        extra.append({"type": "RichTextBlock", "inlines": inlines, "separator": True})
    return message_card(heading, extra=extra)


def _line(text: str) -> dict[str, Any]:
    return {"type": "TextBlock", "text": text, "wrap": True}
