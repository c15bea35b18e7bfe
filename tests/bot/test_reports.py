"""Reports through the bot at the HTTP level: `report month` in the triage channel answers with the chart card;
`report month csv` there gives a signed link that downloads the CSV for 15 minutes (a forged or expired link gets
403); a customer's `my report` counts their own organisation's tickets only, never names another, and its CSV
comes through Teams' file consent card (the bytes PUT to the upload URL the invoke gives, then a file info card);
the weekly report goes to the triage channel once per week, across rounds and restarts."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.features.report_files import file_name
from bot.jobs.weekly_report import weekly_report
from desk.report_service import Export
from desk.reports import PeriodKind, period_ending
from emulator import demo
from tests.bot.helpers import card_text, nodes, raise_ticket, rows, set_triage_channel
from tests.support.activities import Channel, Chat, user
from tests.support.connector import LocalConnector
from tests.support.harness import Desk, FixedClock, local_settings, start_desk

# Charts with something to show right after two tickets were opened (nothing rated, no target due yet).
CHARTS = {"Chart.Line", "Chart.VerticalBar", "Chart.HorizontalBar"}


def last_post(desk: Desk, conversation: str) -> Any:
    return desk.connector.posts(conversation)[-1]


async def said(desk: Desk, channel: Channel, technician: Any, text: str) -> Any:
    status, _ = await desk.send(channel.message(technician, text))
    assert status == 201
    return last_post(desk, channel.channel_id)


@pytest.fixture
def northwind_chat(connector: LocalConnector) -> Chat:
    return Chat(user(demo.NORTHWIND, 0), connector.url)


async def two_customers(desk: Desk, fabrikam: Chat, northwind: Chat) -> tuple[str, str]:
    first = await raise_ticket(desk, fabrikam, title="Fabrikam mail")
    second = await raise_ticket(desk, northwind, title="Northwind mail", service='=HYPERLINK("x")')
    return first, second


async def test_report_month_in_the_triage_channel_is_the_chart_card(
    desk: Desk, triage_channel: Channel, technician: Any, customer_chat: Chat, northwind_chat: Chat
) -> None:
    await set_triage_channel(desk, triage_channel, technician)
    await two_customers(desk, customer_chat, northwind_chat)

    post = await said(desk, triage_channel, technician, "report month")

    [card] = post.cards
    assert {n.get("type") for n in nodes(card)} >= CHARTS
    text = card_text(card)
    assert "Support report · last 30 days" in text
    facts = {f["title"]: f["value"] for f in card["body"][2]["facts"]}
    assert facts["Opened"] == "2" and facts["Closed"] == "0"
    top = next(n for n in card["body"] if n["type"] == "Chart.HorizontalBar")
    assert {p["x"] for p in top["data"]} == {"Fabrikam, Inc.", "Northwind Traders"}
    assert "report month csv" in text


async def test_a_report_for_an_unknown_customer_says_so_and_a_customer_cannot_run_report(
    desk: Desk, triage_channel: Channel, technician: Any, customer_chat: Chat
) -> None:
    post = await said(desk, triage_channel, technician, "report month contoso")
    assert not post.cards and "No customer matches" in post.text

    await desk.send(customer_chat.message("report month"))
    answer = last_post(desk, customer_chat.conversation_id)
    assert not answer.cards and "Chart.Line" not in str(answer.body)


async def test_report_csv_in_a_channel_is_a_signed_link_for_fifteen_minutes(
    tmp_path: Path, connector: LocalConnector, triage_channel: Channel, technician: Any, customer_chat: Chat
) -> None:
    clock = FixedClock(datetime(2026, 11, 24, 10, 0, tzinfo=UTC))
    desk = await start_desk(local_settings(tmp_path, connector), connector, clock)
    try:
        number = await raise_ticket(desk, customer_chat, service='=cmd|"/C calc"!A0')
        post = await said(desk, triage_channel, technician, "report month csv")

        [url] = [word for word in post.text.split() if word.startswith("http")]
        parsed = urlparse(url)
        assert parsed.path == "/reports/csv" and "sig=" in parsed.query
        response = await desk.client.get(f"{parsed.path}?{parsed.query}")
        assert response.status == 200 and response.content_type == "text/csv"
        assert "attachment" in response.headers["Content-Disposition"]
        table = list(csv.reader(io.StringIO((await response.read()).decode("utf-8-sig"))))
        assert table[0][:6] == ["number", "customer", "product", "service", "severity", "status"]
        assert "assignee" in table[0], "a technician's CSV names who worked the ticket"
        [row] = table[1:]
        assert row[0] == number and row[1] == "Fabrikam, Inc."
        assert row[3] == '\'=cmd|"/C calc"!A0', "a formula typed by a customer is defused"

        forged = parsed.query.replace("sig=", "sig=0")
        assert (await desk.client.get(f"{parsed.path}?{forged}")).status == 403
        clock.advance(minutes=16)
        expired = await desk.client.get(f"{parsed.path}?{parsed.query}")
        assert expired.status == 403 and "expired" in await expired.text()
    finally:
        await desk.close()


@pytest.fixture
async def onedrive() -> AsyncIterator[tuple[TestServer, list[tuple[dict[str, str], bytes]]]]:
    """A stand-in for the OneDrive upload URL Teams gives: records each PUT's headers and bytes."""
    received: list[tuple[dict[str, str], bytes]] = []

    async def put(request: web.Request) -> web.Response:
        received.append((dict(request.headers), await request.read()))
        return web.json_response({"id": "file-1"}, status=201)

    app = web.Application()
    app.router.add_put("/upload/{name}", put)
    server = TestServer(app)
    await server.start_server()
    yield server, received
    await server.close()


def consent_answer(chat: Chat, action: str, context: Any, upload_url: str) -> dict[str, Any]:
    """Teams' fileConsent/invoke when the person clicks Allow (accept) or Decline on the consent card."""
    activity = chat.message("")
    activity.pop("text")
    activity.update(
        type="invoke",
        name="fileConsent/invoke",
        value={
            "type": "fileUpload",
            "action": action,
            "context": context,
            "uploadInfo": {
                "contentUrl": "https://contoso-my.sharepoint.com/personal/report.csv",
                "name": "report.csv",
                "uploadUrl": upload_url,
                "uniqueId": "1150D938",
                "fileType": "csv",
            },
        },
    )
    return activity


async def test_a_customer_sees_only_their_own_figures_and_gets_the_csv_as_a_file(
    desk: Desk, customer_chat: Chat, northwind_chat: Chat, onedrive: Any
) -> None:
    server, received = onedrive
    fabrikam_number, northwind_number = await two_customers(desk, customer_chat, northwind_chat)

    await desk.send(customer_chat.message("my report month"))
    [card] = last_post(desk, customer_chat.conversation_id).cards
    facts = {f["title"]: f["value"] for f in card["body"][2]["facts"]}
    assert facts["Opened"] == "1"
    assert "Northwind" not in str(card) and "Fabrikam, Inc. · support report" in card_text(card)
    assert not [n for n in card["body"] if n["type"] == "Chart.HorizontalBar" and "customers" in n["title"]]

    await desk.send(customer_chat.message("my report month northwind"))
    answer = last_post(desk, customer_chat.conversation_id)
    assert not answer.cards and "my report month" in answer.text, "another customer cannot be named: the usage"

    await desk.send(customer_chat.message("my report will not print"))
    answer = last_post(desk, customer_chat.conversation_id)
    assert "my report month" not in answer.text and "Opened" not in str(answer.cards), "a message, not the command"
    [row] = await rows(desk, "SELECT text FROM ticket_events WHERE kind = 'customer_message' ORDER BY id DESC LIMIT 1")
    assert row["text"] == "my report will not print", "added to the customer's open ticket like any message"

    await desk.send(customer_chat.message("my report month csv"))
    [consent] = last_post(desk, customer_chat.conversation_id).body["attachments"]
    assert consent["contentType"] == "application/vnd.microsoft.teams.card.file.consent"
    context = consent["content"]["acceptContext"]
    assert list(context) == ["export"], "the card carries the export's id, not the report"

    upload = str(server.make_url("/upload/report.csv"))
    status, _ = await desk.send(consent_answer(northwind_chat, "accept", context, upload))
    assert status == 200 and received == [], "only the person who asked may accept"

    status, _ = await desk.send(consent_answer(customer_chat, "accept", context, upload))
    assert status == 200
    [(headers, data)] = received
    assert headers["Content-Range"] == f"bytes 0-{len(data) - 1}/{len(data)}"
    table = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert [row[0] for row in table[1:]] == [fabrikam_number]
    assert "assignee" not in table[0] and northwind_number not in data.decode()
    [info] = last_post(desk, customer_chat.conversation_id).body["attachments"]
    assert info["contentType"] == "application/vnd.microsoft.teams.card.file.info"
    assert info["content"]["uniqueId"] == "1150D938"

    await desk.send(customer_chat.message("my report csv"))
    declined = last_post(desk, customer_chat.conversation_id).body["attachments"][0]["content"]["declineContext"]
    status, _ = await desk.send(consent_answer(customer_chat, "decline", declined, upload))
    assert status == 200 and len(received) == 1
    assert "no file" in last_post(desk, customer_chat.conversation_id).text


# Monday 30 November 2026, 08:59 in Chicago (UTC-6).
MONDAY_BEFORE_NINE = datetime(2026, 11, 30, 14, 59, tzinfo=UTC)


def weekly_posts(desk: Desk, channel: Channel) -> list[dict[str, Any]]:
    cards = [card for p in desk.connector.posts(channel.channel_id) for card in p.cards]
    return [card for card in cards if "Last week's support report" in card_text(card)]


async def test_the_weekly_report_is_posted_once_per_week_across_restarts(
    tmp_path: Path, connector: LocalConnector, triage_channel: Channel, technician: Any, customer_chat: Chat
) -> None:
    settings = local_settings(tmp_path, connector, SUPPORT_TIMEZONE="America/Chicago")
    clock = FixedClock(datetime(2026, 11, 24, 16, 0, tzinfo=UTC))  # Tuesday of the week before
    desk = await start_desk(settings, connector, clock)
    try:
        await set_triage_channel(desk, triage_channel, technician)
        await raise_ticket(desk, customer_chat)
        services = desk.runtime.services
        clock.now = MONDAY_BEFORE_NINE
        assert not await weekly_report(services), "08:59 in Chicago"

        clock.advance(minutes=2)
        sent = await asyncio.gather(weekly_report(services), weekly_report(services), weekly_report(services))
        assert sorted(sent) == [False, False, True], "rounds that overlap queue one report"
        await desk.delivered()
        [card] = weekly_posts(desk, triage_channel)
        assert "2026-11-23 – 2026-11-29" in card_text(card), "the previous ISO week, Monday to Sunday"
        assert {f["title"]: f["value"] for f in card["body"][2]["facts"]}["Opened"] == "1"
    finally:
        await desk.close()

    clock.advance(hours=26)  # Tuesday, after a restart on the same database
    desk = await start_desk(settings, connector, clock)
    try:
        services = desk.runtime.services
        assert not await weekly_report(services), "this week's report is in the database: not posted again"
        clock.now = MONDAY_BEFORE_NINE + timedelta(days=7, minutes=2)
        assert await weekly_report(services), "next Monday's goes out"
        await desk.delivered()
        assert len(weekly_posts(desk, triage_channel)) == 2
        assert len(await rows(desk, "SELECT week FROM weekly_reports")) == 2
    finally:
        await desk.close()


def test_the_csv_file_is_named_after_the_last_day_of_the_period() -> None:
    # A period ends at the partner's midnight after its last day: named by that instant's UTC date, a report ending
    # Friday 4 December was "…-2026-12-05.csv" in UTC and in every zone west of it.
    now = datetime(2026, 12, 4, 15, 0, tzinfo=UTC)
    for zone in ("UTC", "America/Chicago", "Europe/Moscow"):
        period = period_ending(PeriodKind.MONTH, now, ZoneInfo(zone))
        export = Export("x", "aad", None, False, "month", period.start, period.end, None, now)
        assert file_name(export, ZoneInfo(zone)) == "support-report-month-2026-12-04.csv", zone
