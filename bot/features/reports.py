"""Reports in Teams: `report [week|month|quarter] [customer] [csv]` (technicians, anywhere) and `my report
[week|month|quarter] [csv]` (a customer, in their personal chat: their own organisation's figures only — they name
no customer, their identity decides). The figures are desk/reports.py's, counted by the database; the card is
cards/reports.py; `csv` gives the rows behind the card (bot/features/report_files.py)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.features import follow
from bot.features.health import ANYWHERE, TECHNICIANS, one_customer
from bot.features.report_files import send_csv
from bot.turns.actions import ActionRouter
from bot.turns.commands import CommandRouter
from bot.turns.conversations import PERSONAL
from bot.turns.turn import Turn
from cards.reports import report_card
from desk.people import Role
from desk.report_service import Reports, Scope
from desk.reports import PeriodKind, period_ending
from desk.store.database import DatabaseUnavailable

logger = logging.getLogger(__name__)


def register(commands: CommandRouter, actions: ActionRouter) -> None:
    """Register `report` and `my report`."""
    commands.add("report", report, roles=TECHNICIANS, scopes=ANYWHERE, help_key="command.report", usage="month")
    commands.add("my report", my_report, roles=(Role.CUSTOMER,), scopes=(PERSONAL,), help_key="command.my_report")


@dataclass(frozen=True)
class Asked:
    """What the words after the command ask for."""

    kind: PeriodKind
    csv: bool
    rest: str  # words left: a customer's name (technicians)


def parse(args: str) -> Asked:
    """`[week|month|quarter] [words…] [csv]`; the period defaults to a week."""
    words = args.split()
    csv = bool(words) and words[-1].lower() == "csv"
    if csv:
        words = words[:-1]
    kind = PeriodKind.WEEK
    if words and words[0].lower() in {k.value for k in PeriodKind}:
        kind = PeriodKind(words[0].lower())
        words = words[1:]
    return Asked(kind, csv, " ".join(words))


async def report(turn: Turn, args: str) -> None:
    """A technician's report: every customer, or the one named."""
    asked = parse(args)
    scope = Scope()
    if asked.rest:
        customer = await one_customer(turn, asked.rest)
        if customer is None:
            return
        scope = Scope(customer.tenant_id, customer.name)
    await answer(turn, asked, scope, for_customer=False)


async def my_report(turn: Turn, args: str) -> None:
    """A customer's report of their own organisation; other words after a period get the usage (never another
    tenant). Words that do not start with a period or `csv` ("my report will not print") are a message like any
    other, handled as the customer's text, as `changes` does."""
    first = args.split()[0].lower() if args.split() else ""
    if first and first not in {k.value for k in PeriodKind} | {"csv"}:
        await follow.customer_text(turn)
        return
    asked = parse(args)
    customer = turn.person.customer
    if asked.rest or customer is None:
        await turn.say(turn.t("report.customer_usage"))
        return
    await answer(turn, asked, Scope(customer.tenant_id, customer.name), for_customer=True)


async def answer(turn: Turn, asked: Asked, scope: Scope, for_customer: bool) -> None:
    """The card, or the CSV behind it."""
    services = turn.services
    now = services.clock()
    period = period_ending(asked.kind, now, services.settings.support.hours.timezone)
    reports = Reports(services.desk.db)
    label = turn.t(f"report.period.{asked.kind.value}")
    try:
        if asked.csv:
            await send_csv(turn, reports, scope, for_customer, period, label)
            return
        figures = await reports.report(period, scope, now)
    except DatabaseUnavailable:
        logger.warning("report not made: the database is unavailable")
        await turn.say(turn.t("report.unavailable"))
        return
    if scope.customer is not None:
        heading = turn.t("report.heading_customer", customer=scope.customer, period=label)
    else:
        heading = turn.t("report.heading", period=label)
    command = f"my report {asked.kind.value} csv" if for_customer else f"report {asked.kind.value} csv"
    if not for_customer and scope.customer is not None:
        command = f"report {asked.kind.value} {scope.customer} csv"
    await turn.show(report_card(turn.t, figures, heading, turn.t("report.csv_hint", command=command)), heading)
