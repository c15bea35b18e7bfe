"""Service requests with the real PartnerCenterClient against the real emulator over HTTPS: filing, reading,
notes, a customer's list, idempotency on MS-RequestId, refusals, throttling, Microsoft's side of the case."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from emulator import demo
from emulator.state import Fault
from msapi.errors import AppUserRequired, PartnerCenterError
from msapi.partner_center import PartnerCenterClient
from msapi.service_requests import ServiceRequest
from tests.msapi.sr_rig import SR_PATH, SrRig, header

EXCHANGE = "32444681"


async def file(sr_rig: SrRig, client: PartnerCenterClient, request_id: str = "req-1", **fields: str) -> ServiceRequest:
    """File a request about Fabrikam's mail flow as Alex Wilber."""
    values = {
        "title": "Mail to external recipients delayed",
        "description": f"Customer {demo.FABRIKAM.domain} (tenant {demo.FABRIKAM.tenant_id}): queued for 2 hours.",
        "severity": "moderate",
        "support_topic_id": EXCHANGE,
        **fields,
    }
    return await client.create_service_request(
        sr_rig.user_token(),
        notes=["Message trace attached to the partner ticket."],
        primary_contact={"FirstName": "Alex", "LastName": "Wilber", "Email": demo.PARTNER.users[0].email},
        request_id=request_id,
        **values,  # type: ignore[arg-type]
    )


async def test_create_read_add_note_and_list_for_the_customer(sr_rig: SrRig) -> None:
    client = sr_rig.client()

    created = await file(sr_rig, client)

    assert len(created.id) == 15 and created.id.isdigit() and created.id.startswith("6")
    assert (created.severity, created.status) == ("moderate", "open")
    assert (created.support_topic_id, created.support_topic_name) == (EXCHANGE, "Exchange Online")
    assert created.organization == demo.PARTNER.name
    assert created.created is not None and created.last_closed is None
    assert [(n.created_by, n.text) for n in created.notes] == [
        ("Alex Wilber", "Message trace attached to the partner ticket.")
    ]
    post = sr_rig.calls(f"{SR_PATH}/en-US", "POST")[0]
    assert post.status == 201 and header(post, "MS-RequestId") == "req-1"

    read = await client.service_request(sr_rig.user_token(), created.id)
    assert read == created

    noted = await client.add_note(
        sr_rig.user_token(demo.PARTNER.users[1]), created.id, "Still failing at 10:00 UTC", "n-1"
    )
    assert [n.created_by for n in noted.notes] == ["Alex Wilber", "Diego Siciliani"]
    assert noted.notes[-1].text == "Still failing at 10:00 UTC"
    assert noted.last_modified is not None and created.last_modified is not None
    assert noted.last_modified >= created.last_modified

    listed = await client.customer_service_requests(sr_rig.user_token(), demo.FABRIKAM.tenant_id)
    assert [(s.id, s.title, s.severity, s.status) for s in listed] == [(created.id, created.title, "moderate", "open")]
    assert await client.customer_service_requests(sr_rig.user_token(), demo.NORTHWIND.tenant_id) == []


async def test_strings_and_integers_on_the_wire_parse_to_the_same_values(sr_rig: SrRig) -> None:
    client = sr_rig.client()
    created = await file(sr_rig, client, severity="critical")
    path = f"/partnercenter/v1/customers/{demo.FABRIKAM.tenant_id}/servicerequests"

    for status, number in (("open", 1), ("attention_needed", 3), ("closed", 2)):
        sr_rig.state.advance_service_request(created.id, status=status)
        single = (await sr_rig.raw("GET", f"{SR_PATH}/{created.id}", sr_rig.user_token())).json()
        listed = (await sr_rig.raw("GET", path, sr_rig.user_token())).json()["items"][0]
        assert (single["severity"], single["status"]) == ("critical", status)  # strings here...
        assert (listed["severity"], listed["status"]) == (1, number)  # ...integers in the customer's list

        by_id = await client.service_request(sr_rig.user_token(), created.id)
        (in_list,) = await client.customer_service_requests(sr_rig.user_token(), demo.FABRIKAM.tenant_id)
        assert (by_id.severity, by_id.status) == (in_list.severity, in_list.status) == ("critical", status)


async def test_same_request_id_files_one_request_and_a_new_id_another(sr_rig: SrRig) -> None:
    client = sr_rig.client()

    first = await file(sr_rig, client, request_id="escalation-7")
    again = await file(sr_rig, client, request_id="escalation-7")
    other = await file(sr_rig, client, request_id="escalation-8")

    assert again.id == first.id
    assert other.id != first.id
    assert len(sr_rig.state.service_requests.all()) == 2
    assert [s.status for s in sr_rig.calls(f"{SR_PATH}/en-US", "POST")] == [201, 201, 201]


async def test_same_request_id_adds_a_note_once(sr_rig: SrRig) -> None:
    client = sr_rig.client()
    created = await file(sr_rig, client)

    await client.add_note(sr_rig.user_token(), created.id, "Logs uploaded", "note-1")
    twice = await client.add_note(sr_rig.user_token(), created.id, "Logs uploaded", "note-1")

    assert [n.text for n in twice.notes].count("Logs uploaded") == 1


@pytest.mark.parametrize(
    ("fields", "description"),
    [
        ({"title": ""}, "Title is required."),
        ({"severity": "urgent"}, "Severity must be one of critical, moderate, minimal."),
        ({"support_topic_id": "999"}, "The support topic 999 does not exist."),
    ],
)
async def test_invalid_request_raises_partner_center_error(
    sr_rig: SrRig, fields: dict[str, str], description: str
) -> None:
    with pytest.raises(PartnerCenterError) as caught:
        await file(sr_rig, sr_rig.client(), **fields)

    error = caught.value
    assert not isinstance(error, AppUserRequired)
    assert (error.status, error.code, error.args[0]) == (400, "400", description)
    assert (error.error_name, error.retryable) == ("InvalidInput", False)
    assert sr_rig.state.service_requests.all() == []
    assert len(sr_rig.calls(f"{SR_PATH}/en-US", "POST")) == 1  # a 400 is not retried


async def test_app_only_token_is_refused_with_app_user_required(sr_rig: SrRig) -> None:
    client = sr_rig.client()
    created = await file(sr_rig, client)
    app = await sr_rig.app_token()
    calls = {
        "create": lambda: file_with(client, app),
        "get": lambda: client.service_request(app, created.id),
        "note": lambda: client.add_note(app, created.id, "hello", "n-app"),
        "list": lambda: client.customer_service_requests(app, demo.FABRIKAM.tenant_id),
        "profile": lambda: client.support_profile(app),
    }

    for name, call in calls.items():
        with pytest.raises(AppUserRequired) as caught:
            await call()
        error = caught.value
        assert (error.status, error.code) == (403, "403"), name
        assert "only App+User tokens" in str(error) and "sign the user in" in str(error)
        assert "can't be accessed by application credentials" in str(error)
    assert len(sr_rig.state.service_requests.all()) == 1
    assert len((await client.service_request(sr_rig.user_token(), created.id)).notes) == 1


async def file_with(client: PartnerCenterClient, token: str) -> ServiceRequest:
    """File a minimal request with the given token."""
    return await client.create_service_request(
        token, title="t", description="d", severity="minimal", support_topic_id=EXCHANGE, request_id="app-only"
    )


async def test_429_is_waited_out_and_the_retry_keeps_the_request_id(sr_rig: SrRig) -> None:
    sr_rig.state.inject(Fault(path=SR_PATH, status=429, retry_after="3"))

    created = await file(sr_rig, sr_rig.client(), request_id="throttled-1")

    posts = sr_rig.calls(f"{SR_PATH}/en-US", "POST")
    assert [p.status for p in posts] == [429, 201]
    assert [header(p, "MS-RequestId") for p in posts] == ["throttled-1", "throttled-1"]
    assert sr_rig.sleeps.waits == [3.0]
    assert [s.id for s in sr_rig.state.service_requests.all()] == [created.id]


async def test_unknown_request_answers_problem_details(sr_rig: SrRig) -> None:
    with pytest.raises(PartnerCenterError) as caught:
        await sr_rig.client().service_request(sr_rig.user_token(), "600000000000000")

    assert caught.value.status == 404
    assert caught.value.args[0] == "Service request 600000000000000 was not found."
    assert caught.value.request_id.startswith("00-")  # the ProblemDetails traceId


async def test_customer_list_of_a_stranger_is_refused(sr_rig: SrRig) -> None:
    with pytest.raises(PartnerCenterError) as caught:
        await sr_rig.client().customer_service_requests(sr_rig.user_token(), demo.STRANGER.tenant_id)

    assert (caught.value.status, caught.value.code) == (403, "20002")


async def test_control_route_adds_a_microsoft_note_and_closes(sr_rig: SrRig) -> None:
    client = sr_rig.client()
    created = await file(sr_rig, client)
    advance = f"/_emulator/partnercenter/servicerequests/{created.id}/advance"

    answer = await sr_rig.raw("POST", advance, "", {"note": "Fixed by a transport rule change.", "status": "closed"})

    assert answer.status_code == 200
    closed = await client.service_request(sr_rig.user_token(), created.id)
    assert closed.status == "closed"
    assert closed.last_closed is not None and closed.created is not None and closed.last_closed >= closed.created
    assert (closed.notes[-1].created_by, closed.notes[-1].text) == (
        "Microsoft Support",
        "Fixed by a transport rule change.",
    )
    assert (await sr_rig.raw("POST", advance, "", {"status": "solved"})).status_code == 400
    unknown = "/_emulator/partnercenter/servicerequests/1/advance"
    assert (await sr_rig.raw("POST", unknown, "", {"note": "x"})).status_code == 404


async def test_script_progresses_a_request_when_it_is_read(sr_rig: SrRig) -> None:
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    now = [start]
    sr_rig.state.service_requests.clock = lambda: now[0]
    sr_rig.state.sr_script = list(demo.SR_SCRIPT)
    client = sr_rig.client()
    created = await file(sr_rig, client)
    assert created.id.startswith("6260302")  # "6" + yyMMdd of filing

    now[0] = start + timedelta(seconds=29)
    assert len((await client.service_request(sr_rig.user_token(), created.id)).notes) == 1
    now[0] = start + timedelta(seconds=95)
    waiting = await client.service_request(sr_rig.user_token(), created.id)
    assert waiting.status == "attention_needed"
    assert [(n.created_by, n.created) for n in waiting.notes[1:]] == [
        ("Microsoft Support", start + timedelta(seconds=30)),
        ("Microsoft Support", start + timedelta(seconds=90)),
    ]
    answered = await client.add_note(sr_rig.user_token(), created.id, "Logs uploaded.", "n-logs")
    assert answered.status == "open"  # the partner answered: Microsoft's turn again


async def test_an_answer_lost_after_filing_hides_the_request_until_the_same_id_is_sent_again(sr_rig: SrRig) -> None:
    # Partner Center files the request, then every answer (the client's own retries included) is a 503.
    sr_rig.state.inject(Fault(path=SR_PATH + "/en-US", status=503, retry_after="0", times=4, after_handling=True))
    with pytest.raises(PartnerCenterError) as caught:
        await file(sr_rig, sr_rig.client(), request_id="req-lost")
    assert caught.value.status == 503
    (kept,) = sr_rig.state.service_requests.all()

    again = await file(sr_rig, sr_rig.client(), request_id="req-lost")
    assert again.id == kept.id and len(sr_rig.state.service_requests.all()) == 1
