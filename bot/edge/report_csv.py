"""GET /reports/csv: the CSV behind a report, for the signed, short-lived link `report … csv` gives outside a
personal chat (desk/report_links.py). A bad or expired signature, or an export that is gone, gets 403 with a plain
message; the CSV is read when the link is opened, from the export's stored scope and period."""

from __future__ import annotations

import logging

from aiohttp import web

from bot.features.report_files import csv_bytes, file_name
from desk.i18n import Translator
from desk.report_links import LINK_PATH
from desk.report_service import Reports

logger = logging.getLogger(__name__)


def add_routes(app: web.Application, runtime_key: web.AppKey) -> None:  # type: ignore[type-arg]
    """Register the CSV link's route."""

    async def download(request: web.Request) -> web.StreamResponse:
        services = request.app[runtime_key].services
        t = Translator(request.headers.get("Accept-Language", "").split(",")[0] or None)
        links = services.report_links
        now = services.clock()
        export_id = links.verify(request.query, now) if links is not None else None
        reports = Reports(services.desk.db)
        export = await reports.export(export_id, now) if export_id else None
        if export is None:
            logger.info("a report CSV link was refused (bad signature, expired, or unknown export)")
            return web.Response(status=403, text=t("report.link_invalid"), content_type="text/plain")
        zone = services.settings.support.hours.timezone
        return web.Response(
            body=await csv_bytes(reports, export, now),
            content_type="text/csv",
            charset="utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="{file_name(export, zone)}"',
                "Cache-Control": "no-store",
                "X-Content-Type-Options": "nosniff",
            },
        )

    app.router.add_get(LINK_PATH, download)
