"""Demo service health for local mode: times relative to the emulator's start so the cards look current.

Fabrikam and Northwind share an Exchange Online incident; Northwind also has a Teams advisory; Adventure Works
is healthy (its Exchange incident of last week is resolved); Tailspin Toys never consented (see state)."""

from __future__ import annotations

from datetime import datetime, timedelta

from emulator.demo import ADVENTURE_WORKS, CUSTOMERS, FABRIKAM, NORTHWIND, DemoIssue, DemoMessage

# Service name -> healthOverviews id, as Graph names them.
SERVICE_IDS = {
    "Exchange Online": "Exchange",
    "Microsoft Teams": "microsoftteams",
    "SharePoint Online": "SharePoint",
    "OneDrive for Business": "OneDriveForBusiness",
    "Microsoft Entra": "OrgLiveID",
    "Microsoft Intune": "Intune",
    "Microsoft 365 suite": "OSDPPlatform",
    "Power BI": "PowerBIcom",
}


def demo_health() -> dict[str, dict[str, str]]:
    """Tenant -> service -> status before any issue is applied (the state marks the affected services)."""
    health = {tenant.tenant_id: dict.fromkeys(SERVICE_IDS, "ServiceOperational") for tenant in CUSTOMERS}
    # The docs spell statuses camelCase while Graph's samples (and answers) use PascalCase: serve both.
    health[ADVENTURE_WORKS.tenant_id]["Power BI"] = "serviceOperational"
    health[FABRIKAM.tenant_id]["Microsoft Entra"] = "ServiceRestored"
    return health


def demo_issues(started: datetime) -> list[DemoIssue]:
    """The demo incidents and advisories."""
    exchange_start = started - timedelta(hours=2)
    teams_start = started - timedelta(hours=5)
    last_week = started - timedelta(days=7)
    return [
        DemoIssue(
            id="EX987654",
            title="Users may be unable to send or receive email",
            service="Exchange Online",
            feature="E-Mail and calendar access",
            feature_group="E-Mail and calendar access",
            classification="Incident",
            status="ServiceDegradation",
            impact="Users may be unable to send or receive email through Exchange Online & Outlook on the web.",
            start=exchange_start,
            tenants=(FABRIKAM.tenant_id, NORTHWIND.tenant_id),
            posts=(
                (
                    exchange_start + timedelta(minutes=12),
                    "<p>Title: Users may be unable to send or receive email</p>"
                    "<p>User Impact: Users may be unable to send or receive email.</p>"
                    "<p>Current status: We&#39;re investigating a potential issue and checking for impact to your "
                    "organization. We&#39;ll provide an update within 30 minutes.</p>",
                ),
                (
                    exchange_start + timedelta(minutes=58),
                    "Title: Users may be unable to send or receive email<br><br>"
                    "User Impact: Users may be unable to send or receive email.<br><br>"
                    "Current status: We&#39;ve identified that a recent configuration change to a portion of mailbox "
                    "infrastructure is causing delays &amp; failures. We&#39;re reverting the change.<br><br>"
                    "Next update by: " + (exchange_start + timedelta(hours=3)).strftime("%A, %B %d, %Y, at %H:%M UTC"),
                ),
            ),
        ),
        DemoIssue(
            id="TM123456",
            title="Some users may be unable to play back meeting recordings",
            service="Microsoft Teams",
            feature="Teams Components",
            feature_group="Teams Components",
            classification="Advisory",
            status="Investigating",
            impact="Users may see a delay or an error when opening Microsoft Teams meeting recordings.",
            start=teams_start,
            tenants=(NORTHWIND.tenant_id,),
            posts=(
                (
                    teams_start + timedelta(minutes=20),
                    "<p>Title: Some users may be unable to play back meeting recordings</p>"
                    "<ul><li>User Impact: Recordings may not open from the meeting chat.</li>"
                    "<li>Current status: We&#39;re reviewing service telemetry to isolate the cause.</li></ul>",
                ),
            ),
        ),
        DemoIssue(
            id="EX975310",
            title="Delays in mail delivery to external recipients",
            service="Exchange Online",
            feature="Mail flow",
            feature_group="E-Mail timely delivery",
            classification="Incident",
            status="ServiceRestored",
            impact="Users may have experienced delays when sending email to external recipients.",
            start=last_week,
            end=last_week + timedelta(hours=3),
            resolved=True,
            tenants=(ADVENTURE_WORKS.tenant_id,),
            posts=(
                (
                    last_week + timedelta(hours=3, minutes=15),
                    "<p>Final status: We&#39;ve confirmed that the fix resolved the delays.</p>"
                    "<p>Scope of impact: Some users sending to external recipients.</p>",
                ),
            ),
        ),
    ]


def demo_messages(started: datetime) -> list[DemoMessage]:
    """Message center items: two every customer sees, and Fabrikam's own (a major change to act on within 30 days,
    one to act on later, a rollout starting soon, and one only to stay informed)."""
    everyone = tuple(tenant.tenant_id for tenant in CUSTOMERS)
    return [*_fabrikam_messages(started), *_shared_messages(started, everyone)]


def _fabrikam_messages(started: datetime) -> list[DemoMessage]:
    fabrikam = (FABRIKAM.tenant_id,)
    return [
        DemoMessage(
            id="MC700010",
            title="Exchange Online: legacy Exchange Online tokens are turned off for Outlook add-ins",
            category="PlanForChange",
            severity="High",
            services=("Exchange Online", "Microsoft 365 apps"),
            body="<p>Legacy Exchange user identity and callback tokens will be turned off. <b>Update or replace "
            "add-ins</b> that still use them before the date below.</p>",
            start=started - timedelta(days=10),
            last_modified=started - timedelta(days=2),
            action_required_by=started + timedelta(days=12),
            is_major_change=True,
            tenants=fabrikam,
            tags=("Admin impact", "Retirement"),
        ),
        DemoMessage(
            id="MC700011",
            title="Microsoft Entra ID: enforce multifactor authentication for Azure portal sign-ins",
            category="PreventOrFixIssue",
            severity="Normal",
            services=("Microsoft Entra",),
            body="<p>Make sure every administrator can complete MFA before enforcement begins.</p>",
            start=started - timedelta(days=5),
            last_modified=started - timedelta(days=5),
            action_required_by=started + timedelta(days=45),
            tenants=fabrikam,
            tags=("Admin impact",),
        ),
        DemoMessage(
            id="MC700012",
            title="SharePoint Online: new default sharing link for new sites",
            category="PlanForChange",
            severity="Normal",
            services=("SharePoint Online",),
            body="<p>New sites will default to links that work for people in your organization.</p>",
            start=started + timedelta(days=20),
            last_modified=started - timedelta(hours=6),
            tenants=fabrikam,
            tags=("User impact",),
        ),
        DemoMessage(
            id="MC700013",
            title="Microsoft Teams: updated meeting join experience on the web",
            category="StayInformed",
            severity="Normal",
            services=("Microsoft Teams",),
            body="<p>The join screen gets a new look. No action is required.</p>",
            start=started - timedelta(days=1),
            last_modified=started - timedelta(hours=1),
            tenants=fabrikam,
            tags=("User impact", "Updated message"),
        ),
    ]


def _shared_messages(started: datetime, everyone: tuple[str, ...]) -> list[DemoMessage]:
    return [
        DemoMessage(
            id="MC700001",
            title="Microsoft Teams: intelligent meeting recap in the meeting chat",
            category="StayInformed",
            severity="Normal",
            services=("Microsoft Teams",),
            body="<p>Meeting recaps will appear in the meeting chat when the meeting ends. No action is required.</p>",
            start=started - timedelta(days=3),
            last_modified=started - timedelta(days=3),
            tenants=everyone,
            tags=("New feature", "User impact"),
        ),
        DemoMessage(
            id="MC700002",
            title="(Updated) Retirement of basic authentication for SMTP AUTH in Exchange Online",
            category="PlanForChange",
            severity="High",
            services=("Exchange Online",),
            body="<p>We will retire Basic authentication for SMTP AUTH. Move your apps and devices to OAuth.</p>",
            start=started - timedelta(days=30),
            last_modified=started - timedelta(days=1),
            action_required_by=started + timedelta(days=60),
            is_major_change=True,
            tenants=everyone,
            tags=("Updated message", "Admin impact", "Retirement"),
        ),
    ]
