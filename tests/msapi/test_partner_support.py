"""Support topics (cached), managed services, subscriptions and the support profile from the real emulator over
HTTPS; how Partner Center's two error bodies and its two enum encodings are read."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from emulator import demo
from msapi.errors import AppUserRequired, PartnerCenterError
from msapi.service_requests import ManagedService, SupportProfile, parse_date, severity_name, status_name
from tests.msapi.sr_rig import TOPICS_PATH, SrRig


async def test_support_topics_are_read_once_a_day(sr_rig: SrRig) -> None:
    client = sr_rig.client()

    first = await client.support_topics()
    second = await client.support_topics()

    assert first == second
    names = [t.name for t in first]
    assert names[:3] == ["Billing", "Subscription management", "Licensing and purchase"]
    assert {"Exchange Online", "Microsoft Teams", "Azure Virtual Machines", "Dynamics 365 Sales", "Other"} <= set(names)
    assert first[3].id == "32444681"  # a number on the wire, text in the model
    assert first[3].description.startswith("Mail flow")
    assert len(sr_rig.calls(TOPICS_PATH, "GET")) == 1

    sr_rig.monotonic.now += 24 * 3600 + 1
    await client.support_topics()
    assert len(sr_rig.calls(TOPICS_PATH, "GET")) == 2


async def test_managed_services_follow_the_customer_subscriptions(sr_rig: SrRig) -> None:
    client = sr_rig.client()

    fabrikam = await client.managed_services(sr_rig.user_token(), demo.FABRIKAM.tenant_id)
    northwind = await client.managed_services(sr_rig.user_token(), demo.NORTHWIND.tenant_id)

    assert [s.name for s in fabrikam] == [
        "Microsoft 365 admin center",
        "Exchange admin center",
        "Teams admin center",
        "SharePoint admin center",
        "Microsoft Entra admin center",
        "Azure portal",
    ]
    assert fabrikam[-1] == ManagedService(
        "Azure", "Azure portal", "Azure", "https://portal.azure.com/fabrikam.onmicrosoft.com"
    )
    assert fabrikam[0].admin_url.startswith("https://admin.microsoft.com/")
    assert demo.FABRIKAM.tenant_id in fabrikam[0].admin_url
    assert fabrikam[3].admin_url == "https://fabrikam-admin.sharepoint.com/"
    assert "Azure portal" not in [s.name for s in northwind]


async def test_subscriptions_are_parsed(sr_rig: SrRig) -> None:
    subscriptions = await sr_rig.client().subscriptions(demo.FABRIKAM.tenant_id)

    assert [(s.offer_name, s.quantity, s.status, s.billing_cycle) for s in subscriptions] == [
        ("Microsoft 365 Business Premium", 25, "active", "monthly"),
        ("Exchange Online (Plan 1)", 5, "active", "monthly"),
        ("Azure plan", 1, "active", "monthly"),
    ]
    assert subscriptions[0].friendly_name == "Microsoft 365 Business Premium"
    assert len({s.id for s in subscriptions}) == 3


async def test_reads_of_a_stranger_are_refused(sr_rig: SrRig) -> None:
    with pytest.raises(PartnerCenterError) as caught:
        await sr_rig.client().subscriptions(demo.STRANGER.tenant_id)

    assert (caught.value.status, caught.value.code) == (403, "20002")
    assert "no commerce relationship" in caught.value.args[0]


async def test_support_profile_needs_the_user_and_is_parsed(sr_rig: SrRig) -> None:
    profile = await sr_rig.client().support_profile(sr_rig.user_token())

    assert profile == SupportProfile("support@contosocloud.com", "+1 425 555 0142", "https://support.contosocloud.com")


def answer(status: int, body: dict[str, object], **headers: str) -> httpx.Response:
    """An error answer as Partner Center might send it."""
    return httpx.Response(status, json=body, headers=headers)


async def test_error_bodies_classic_and_problem_details(sr_rig: SrRig) -> None:
    client = sr_rig.client()

    classic = client.error_from(
        answer(
            400,
            {
                "code": 600061,
                "message": "A partner confirmed agreement already exists for the customer.",
                "description": "A partner confirmed agreement already exists for the customer.",
                "errorName": "PartnerConfirmedAgreementAlreadyExists",
                "isRetryable": False,
            },
            **{"MS-RequestId": "r-1"},
        )
    )
    problem = client.error_from(
        answer(
            403,
            {
                "type": "about:blank",
                "title": "Forbidden",
                "status": 403,
                "detail": "Not your request.",
                "traceId": "00-ab-cd-00",
            },
        )
    )
    throttled = client.error_from(
        answer(429, {"statusCode": 429, "message": "Rate limit is exceeded. Try again in 57 seconds."})
    )

    assert isinstance(classic, PartnerCenterError) and not isinstance(classic, AppUserRequired)
    assert (classic.code, classic.error_name, classic.retryable, classic.request_id) == (
        "600061",
        "PartnerConfirmedAgreementAlreadyExists",
        False,
        "r-1",
    )
    assert (problem.status, problem.args[0], problem.request_id) == (403, "Not your request.", "00-ab-cd-00")
    assert not isinstance(problem, AppUserRequired)
    assert throttled.args[0] == "Rate limit is exceeded. Try again in 57 seconds."


@pytest.mark.parametrize(
    "response",
    [
        answer(
            403,
            {
                "title": "Forbidden",
                "status": 403,
                "detail": "This resource can't be accessed by application credentials.",
            },
        ),
        # Seen in 2016: the same refusal as HTTP 500 (PartnerCenterSamples/Reseller-Web-Application#13).
        answer(500, {"code": 0, "description": "This resource can't be accessed by application credentials."}),
    ],
)
async def test_app_only_refusal_in_either_body_is_app_user_required(sr_rig: SrRig, response: httpx.Response) -> None:
    assert isinstance(sr_rig.client().error_from(response), AppUserRequired)


def test_enums_from_strings_and_integers() -> None:
    assert {severity_name(v) for v in ("critical", "Critical", 1, "1")} == {"critical"}
    assert [severity_name(v) for v in (0, 2, 3, "MINIMAL", 9, None)] == [
        "unknown",
        "moderate",
        "minimal",
        "minimal",
        "unknown",
        "unknown",
    ]
    assert {status_name(v) for v in ("AttentionNeeded", "attention_needed", "ATTENTION_NEEDED", 3)} == {
        "attention_needed"
    }
    assert [status_name(v) for v in (0, 1, 2, "Closed", "Open", "bogus")] == [
        "none",
        "open",
        "closed",
        "closed",
        "open",
        "none",
    ]


def test_dates_with_and_without_zone_and_unset() -> None:
    assert parse_date("0001-01-01T00:00:00") is None
    assert parse_date("2016-12-22T20:31:17.24Z") == datetime(2016, 12, 22, 20, 31, 17, 240000, tzinfo=UTC)
    assert parse_date("2017-01-09T23:31:15.373") == datetime(2017, 1, 9, 23, 31, 15, 373000, tzinfo=UTC)
    assert parse_date("not a date") is None


async def test_managed_services_refuse_the_apps_own_token(sr_rig: SrRig) -> None:
    # Learn: "This scenario supports authentication with App+User credentials only."
    with pytest.raises(AppUserRequired):
        await sr_rig.client().managed_services(await sr_rig.app_token(), demo.FABRIKAM.tenant_id)
