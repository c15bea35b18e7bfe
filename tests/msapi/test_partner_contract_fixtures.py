"""The Partner Center client's parsers read Microsoft's documented examples (tests/data/contracts): customers and
the continuation token, service requests whose severity and status come as text or as numbers, topics, managed
services, subscriptions, the support profile, and both error bodies."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

import httpx

from msapi import service_requests as sr
from msapi.partner_center import PartnerCenterClient, _continuation, _customer
from tests.emulator.fixtures import documented, fixture


def client() -> PartnerCenterClient:
    """A client for error parsing only (it sends nothing)."""
    return PartnerCenterClient(
        cast(Any, None), cast(Any, None), "https://pc.invalid", "scope", partner_tenant_id="partner"
    )


def test_customers_of_the_documented_list() -> None:
    items = documented("pc_customers")["items"]

    customers = [_customer(item) for item in items]

    assert [c.tenant_id for c in customers] == [
        "0a1b2c3d-0000-4000-8000-00000000c001",
        "0a1b2c3d-0000-4000-8000-00000000c002",  # sent upper-case, kept lower-case
    ]
    assert [c.name for c in customers] == ["Contoso Widgets", "Litware Ltd"]
    assert customers[1].domains == ("litware.onmicrosoft.com",)


def test_the_continuation_token_of_a_documented_next_link() -> None:
    assert _continuation(documented("pc_paging_next_link")) == "c0ffee00-1111-2222-3333-444455556666,page-two_token="
    assert _continuation(documented("pc_customers")) is None, "no next link: the last page"


def test_service_requests_with_severity_and_status_as_numbers() -> None:
    listed = sr.service_request(documented("pc_customer_servicerequests")["items"][0])

    assert (listed.severity, listed.status) == ("unknown", "open")  # 0 and 1 in the documented list
    assert listed.created == datetime(2024, 5, 6, 7, 8, 9, 123000, tzinfo=UTC)
    assert listed.last_closed is None, "0001-01-01T00:00:00 means never closed"


def test_service_requests_with_severity_and_status_as_text() -> None:
    read = sr.service_request(documented("pc_servicerequest_get"))
    created = sr.service_request(documented("pc_servicerequest_create"))

    assert (read.severity, read.status, read.support_topic_id) == ("critical", "open", "32444999")
    assert read.organization == "Fourth Coffee Partners"
    assert read.notes == (sr.SrNote("Support", datetime(2024, 6, 2, 13, 14, 15, 678000, tzinfo=UTC), "We are on it"),)
    assert read.last_modified == datetime(2024, 6, 2, 13, 14, 15, 678000, tzinfo=UTC)
    assert (created.status, created.id, created.notes) == ("none", "720220300000002", ())


def test_the_pascal_case_request_body_reads_too() -> None:
    body = fixture("pc_servicerequest_update")["request"]["body"]

    echoed = sr.service_request(body)

    assert (echoed.severity, echoed.status, echoed.title, echoed.created) == ("unknown", "none", "", None)


def test_enums_given_as_numbers_or_text() -> None:
    # The SDK's ServiceRequestSeverity and ServiceRequestStatus enums, in their declared order.
    assert [sr.severity_name(n) for n in (0, 1, 2, 3)] == ["unknown", "critical", "moderate", "minimal"]
    assert [sr.status_name(n) for n in (0, 1, 2, 3)] == ["none", "open", "closed", "attention_needed"]
    assert [sr.status_name(t) for t in ("Open", "AttentionNeeded", "attention_needed", "3")] == [
        "open",
        "attention_needed",
        "attention_needed",
        "attention_needed",
    ]
    assert (sr.severity_name("Critical"), sr.severity_name(9), sr.status_name(True)) == ("critical", "unknown", "none")


def test_topics_services_subscriptions_and_profile() -> None:
    topics = [sr.support_topic(item) for item in documented("pc_supporttopics")["items"]]
    services = [sr.managed_service(item) for item in documented("pc_managedservices")["items"]]
    subscription = sr.subscription(documented("pc_subscriptions")["items"][0])
    profile = sr.support_profile(documented("pc_support_profile"))

    assert topics[0] == sr.SupportTopic("32444001", "Portal problems", "Trouble using the partner portal")
    assert [(s.id, s.name, s.group_name) for s in services] == [
        ("Exchange", "Exchange", "Office"),
        ("MicrosoftCommunicationsOnline", "SkypeforBusiness", "Office"),
    ]
    assert services[0].admin_url.endswith(
        "CSDEST=Exchange&InitialDomain=contosowidgets.onmicrosoft.com&PrimaryDomain=contosowidgets.com"
    )
    assert (subscription.friendly_name, subscription.quantity, subscription.status) == (
        "Sales team seats",
        12,
        "active",
    )
    assert profile == sr.SupportProfile("help@fourthcoffee.example", "5550142", "www.fourthcoffee.example")


def test_documented_error_bodies() -> None:
    error = fixture("pc_error")["response"]
    throttled = fixture("pc_throttled")["response"]

    refused = client().error_from(httpx.Response(error["status"], json=error["body"]))
    slowed = client().error_from(httpx.Response(throttled["status"], json=throttled["body"]))

    assert (refused.status, refused.code) == (403, "20002")
    assert "no commerce relationship" in str(refused)
    assert slowed.status == 429 and "Rate limit is exceeded" in str(slowed)
