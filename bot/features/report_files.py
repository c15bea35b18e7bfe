"""The CSV behind a report. In a personal chat Teams lets a bot send a file: the desk sends a file consent card,
and when the person accepts, Teams' invoke gives an upload URL (in their OneDrive) that the desk PUTs the bytes
to, then it sends a file info card. Elsewhere (channels, group chats) the desk answers with a signed link under
PUBLIC_URL that works for EXPORT_LIFETIME (bot/edge/report_csv.py serves it).
https://learn.microsoft.com/en-us/microsoftteams/platform/bots/how-to/bots-filesv4

The consent card's context carries the export's id only: the export (whose figures, which period, who asked) is a
database row, read again when the card is answered, and only the person who asked may accept it."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

import httpx
from botbuilder.schema import Activity
from botbuilder.schema.teams import FileUploadInfo

from bot.edge.outgoing import SentAttachment
from bot.turns.conversations import PERSONAL
from bot.turns.turn import Turn
from desk.report_csv import to_csv
from desk.report_service import Export, Reports, Scope
from desk.reports import Period

logger = logging.getLogger(__name__)
CONSENT_TYPE = "application/vnd.microsoft.teams.card.file.consent"
FILE_INFO_TYPE = "application/vnd.microsoft.teams.card.file.info"
UPLOAD_TIMEOUT = 30.0  # seconds for one PUT to OneDrive; a failure is told to the person, who can ask again


def file_name(export: Export, zone: ZoneInfo) -> str:
    """`support-report-month-2026-12-04.csv`: the period and its last day in the partner's time zone (the period
    ends at the midnight after it: that instant's own UTC date is the next day in UTC and west of it)."""
    last_day = (export.end.astimezone(zone) - timedelta(days=1)).date()
    return f"support-report-{export.period}-{last_day.isoformat()}.csv"


async def csv_bytes(reports: Reports, export: Export, now: datetime) -> bytes:
    """The CSV of an export as it reads now (UTF-8 with a BOM, so Excel reads non-Latin names right), written in a
    thread: a quarter of a busy desk is thousands of rows, and other turns must not wait for them."""
    rows = await reports.csv_rows(export)
    text = await asyncio.to_thread(to_csv, rows, export.for_customer, now)
    return ("\ufeff" + text).encode("utf-8")


async def send_csv(turn: Turn, reports: Reports, scope: Scope, for_customer: bool, period: Period, label: str) -> None:
    """A file consent card in a personal chat, a signed link elsewhere."""
    now = turn.services.clock()
    export = await reports.new_export(turn.person.aad_id, scope, for_customer, period, turn.activity.locale, now)
    if turn.scope == PERSONAL:
        period_zone = turn.services.settings.support.hours.timezone
        size = len(await csv_bytes(reports, export, now))
        context = {"export": export.id}
        consent = {
            "description": turn.t("report.csv_file_description", period=label),
            "sizeInBytes": size,
            "acceptContext": context,
            "declineContext": context,
        }
        attachment = SentAttachment(content_type=CONSENT_TYPE, name=file_name(export, period_zone), content=consent)
        await turn.context.send_activity(Activity(type="message", attachments=[attachment]))
        return
    links = turn.services.report_links
    if links is None:
        await turn.say(turn.t("report.csv_unavailable"))
        return
    await turn.say(turn.t("report.csv_link", period=label, url=links.url(export.id, export.expires_at)))


async def file_consent(turn: Turn, action: str, context: Any, upload: FileUploadInfo | None) -> None:
    """The person accepted or declined a consent card: upload the file, or say nothing will come."""
    export_id = context.get("export") if isinstance(context, dict) else None
    reports = Reports(turn.services.desk.db)
    export = await reports.export(export_id, turn.services.clock()) if isinstance(export_id, str) else None
    if export is None or export.requested_by != turn.person.aad_id:
        await turn.say(turn.t("report.csv_expired"))
        return
    if action != "accept":
        await turn.say(turn.t("report.csv_declined"))
        return
    if upload is None or not upload.upload_url or not _allowed(upload.upload_url, turn.services.settings.local_mode):
        logger.warning("file consent accepted without a usable upload URL")
        await turn.say(turn.t("report.csv_upload_failed"))
        return
    data = await csv_bytes(reports, export, turn.services.clock())
    try:
        async with httpx.AsyncClient(timeout=UPLOAD_TIMEOUT) as client:
            answer = await client.put(
                upload.upload_url,
                content=data,
                headers={"Content-Range": f"bytes 0-{len(data) - 1}/{len(data)}", "Content-Type": "text/csv"},
            )
        answer.raise_for_status()
    except httpx.HTTPError as error:
        logger.warning("the report's file upload failed: %s", type(error).__name__)
        await turn.say(turn.t("report.csv_upload_failed"))
        return
    info = SentAttachment(
        content_type=FILE_INFO_TYPE,
        name=upload.name or file_name(export, turn.services.settings.support.hours.timezone),
        content_url=upload.content_url,
        content={"uniqueId": upload.unique_id, "fileType": upload.file_type or "csv"},
    )
    await turn.context.send_activity(Activity(type="message", attachments=[info]))


def _allowed(url: str, local_mode: bool) -> bool:
    """Teams gives an https OneDrive address; local mode's stand-ins (tests, the emulator) may use http."""
    scheme = urlparse(url).scheme
    return scheme == "https" or (local_mode and scheme == "http")
