"""The desk's rows of bench/turns.py, each on a desk process of its own (`python app.py` in production mode, a fresh
database): `help`; a customer's message relayed to their open ticket; the new-ticket form and its submit. Each
scenario sets up what its turns need, warms the desk up (unmeasured), measures, stops the desk and checks its
database."""

from __future__ import annotations

import asyncio
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Protocol

from bench.turns_checks import (
    Sent,
    T,
    check_invokes,
    check_replies,
    database_rows,
    exactly_once,
    is_created,
    is_form,
    is_help,
    is_relayed,
    sent_count,
    sent_since,
)
from bench.turns_client import TICKET, TRIAGE, Lanes, Result, messages, spread, technician
from bench.turns_runs import Runner
from bench.turns_servers import Bot, desk_env, start_bot
from tests.support.activities import Channel

DESK_KINDS = ("help", "relay", "submit")  # "submit" also measures the form it submits ("form")
ROWS = {
    "help": "desk: help",
    "relay": "desk: customer relay",
    "form": "desk: new ticket form",
    "submit": "desk: ticket submit",
}
PARTNER = "Contoso Cloud Services"
WARM_UP_PER_LANE = 2
TRIAGE_CARDS_WAIT = 120.0
Around = Callable[[Bot, str], AbstractContextManager[Any]]


class DeskOptions(Protocol):
    """What the desk's rows take of bench/turns.py's options."""

    engine: str
    desk_command: tuple[str, ...]
    around_desk: Around


Drafts = dict[str, list[tuple[str, str | None]]]  # conversation -> (draft id, the form's activity id), in order


class DeskScenarios:
    def __init__(self, runner: Runner, lanes: Lanes, folder: Path, options: DeskOptions) -> None:
        self.runner = runner
        self.checks = runner.checks
        self.lanes = lanes
        self.folder = folder
        self.engine = options.engine
        self.around = options.around_desk
        self.command = [sys.executable, *options.desk_command]

    def run(self, kind: str, turns: int) -> int:
        """Run one scenario; returns the tickets it made."""
        data = self.folder / f"desk-{kind}"
        data.mkdir()
        url = database_url(self.engine, data)
        bot = start_bot(f"desk-{kind}", self.command, desk_env(self.runner.fakes, data, url), self.folder)
        try:
            check = getattr(self, kind)(bot, turns)
        finally:
            bot.stop()
        return int(asyncio.run(check(url)))

    def help(self, bot: Bot, turns: int) -> Callable[[str], Any]:
        url = self.runner.service_url
        warm = messages(self.lanes, url, WARM_UP_PER_LANE * self.lanes.count, _help)
        results, sent = self.runner.turns(bot, "", warm, measure=False)
        with self.around(bot, "help"):
            measured, measured_sent = self.runner.turns(bot, ROWS["help"], messages(self.lanes, url, turns, _help))
        check_replies(self.checks, ROWS["help"], results + measured, sent + measured_sent, _is_help)

        async def nothing(_: str) -> int:
            return 0

        return nothing

    def relay(self, bot: Bot, turns: int) -> Callable[[str], Any]:
        """One open ticket per customer (one customer per lane), then messages from them: each is added to the
        ticket and queued as a post in its channel thread."""
        lanes = Lanes(self.lanes.count, 1, self.lanes.tenants)
        self.triage_here(bot)
        start = self.connector_mark()
        drafts = self.open_forms(bot, lanes, lanes.count, "relay: setup forms", measure=False)
        submitted = self.submit_forms(bot, lanes, drafts, lanes.count, "relay: setup submits", measure=False)
        self.wait_for_triage_cards(start, len(submitted))
        url = self.runner.service_url

        def text(lane: int, k: int | str) -> str:
            return f"It is still slow. [bench {lane}-{k}]"

        warm = messages(lanes, url, WARM_UP_PER_LANE * lanes.count, lambda lane, k: text(lane, f"w{k}"))
        results, sent = self.runner.turns(bot, "", warm, measure=False)
        with self.around(bot, "relay"):
            measured, measured_sent = self.runner.turns(bot, ROWS["relay"], messages(lanes, url, turns, text))
        results += measured
        sent += measured_sent
        check_replies(self.checks, ROWS["relay"], results, sent, is_relayed)
        expected = [_marker(result.activity["text"]) for result in results if result.ok]
        # The outbox paces thread posts to Teams' limits for the channel: most are still queued (checked below).
        everything = sent_since(self.runner.service_url, start)
        in_threads = [item for item in everything if item["conversation"].startswith(f"{TRIAGE.channel_id};messageid=")]
        thread_posts = [marker for item in in_threads if item["method"] == "POST" for marker in item["markers"]]
        doubled = [marker for marker, count in Counter(thread_posts).items() if count > 1]
        self.checks.expect(not doubled, ROWS["relay"], f"{len(doubled)} messages posted to their thread twice")

        async def in_database(url: str) -> int:
            events = await database_rows(url, "SELECT text FROM ticket_events WHERE kind = ?", ("customer_message",))
            stored = [_marker(row["text"]) for row in events]
            exactly_once(self.checks, ROWS["relay"], "its message on the ticket", expected, stored)
            posts = await database_rows(url, "SELECT activity FROM outbox WHERE operation = ?", ("reply",))
            queued = [_marker(row["activity"]) for row in posts]
            exactly_once(self.checks, ROWS["relay"], "its queued thread post", expected, queued)
            return await self.tickets_and_cards(url, ROWS["relay"], submitted)

        return in_database

    def submit(self, bot: Bot, turns: int) -> Callable[[str], Any]:
        """New-ticket forms (one row), then their submits (another): each submit makes a ticket and queues its
        triage card."""
        self.triage_here(bot)
        start = self.connector_mark()
        warm_up = WARM_UP_PER_LANE * self.lanes.count
        warm = self.open_forms(bot, self.lanes, warm_up, "form warm-up", measure=False)
        with self.around(bot, "form"):
            drafts = self.open_forms(bot, self.lanes, turns, ROWS["form"], measure=True)
        submitted = self.submit_forms(bot, self.lanes, warm, warm_up, "submit warm-up", measure=False)
        with self.around(bot, "submit"):
            submitted += self.submit_forms(bot, self.lanes, drafts, turns, ROWS["submit"], measure=True)
        cards = _created(sent_since(self.runner.service_url, start))
        posted = Counter(number for item in cards for number in item["tickets"])
        doubled = [number for number, count in posted.items() if count > 1]
        self.checks.expect(not doubled, ROWS["submit"], f"{len(doubled)} triage cards posted twice ({doubled[:3]})")

        async def in_database(url: str) -> int:
            return await self.tickets_and_cards(url, ROWS["submit"], submitted)

        return in_database

    def submit_forms(
        self, bot: Bot, lanes: Lanes, drafts: Drafts, turns: int, name: str, measure: bool
    ) -> list[Result]:
        """Submit `turns` of the forms in `drafts` (each lane's customers in turn, as the forms were opened; a form
        that never arrived is not submitted)."""
        invokes = []
        for lane, count in enumerate(spread(turns, lanes.count)):
            chats = lanes.chats(lane, self.runner.service_url)
            lane_invokes = []
            for k in range(count):
                chat = chats[k % len(chats)]
                if drafts.get(chat.conversation_id):
                    draft_id, form_id = drafts[chat.conversation_id].pop(0)
                    lane_invokes.append(chat.invoke("ticket.submit", draft_id, TICKET, replyToId=form_id))
            invokes.append(lane_invokes)
        results, _ = self.runner.turns(bot, name, invokes, measure)
        check_invokes(self.checks, name, results, is_created)
        return results

    def open_forms(self, bot: Bot, lanes: Lanes, turns: int, name: str, measure: bool) -> Drafts:
        """`new ticket` from the lanes' customers; returns the forms' draft ids by conversation."""
        activities = messages(lanes, self.runner.service_url, turns, lambda lane, k: "new ticket")
        results, sent = self.runner.turns(bot, name, activities, measure)
        check_replies(self.checks, name, results, sent, is_form)
        self.checks.expect(all(result.ok for result in results) or measure, name, "a setup turn was refused")
        drafts: Drafts = defaultdict(list)
        for item in sent:
            if is_form(item):
                drafts[item["conversation"]].append((item["submit_id"], item["response_id"]))
        return drafts

    def triage_here(self, bot: Bot) -> None:
        """A technician makes the benchmark's channel the triage channel."""
        channel = Channel(TRIAGE.team_id, TRIAGE.channel_id, self.runner.service_url)
        results, sent = self.runner.turns(bot, "", [[channel.message(technician(), "triage here")]], measure=False)
        name = "triage here"
        self.checks.expect(all(result.ok for result in results), name, f"answered {results[0].status}")
        check_replies(self.checks, name, results, sent, lambda item: item["text"] == T("triage.set"))

    def connector_mark(self) -> int:
        return sent_count(self.runner.service_url)

    def wait_for_triage_cards(self, start: int, count: int) -> None:
        """Wait until `count` triage cards went out (the outbox paces them to Teams' per-channel limits), so that
        the measured run does not pay for the set-up's."""
        deadline = time.monotonic() + TRIAGE_CARDS_WAIT
        while time.monotonic() < deadline:
            if len(_created(sent_since(self.runner.service_url, start))) >= count:
                return
            time.sleep(0.5)
        self.checks.failures.append(f"the set-up's {count} triage cards were not all sent in {TRIAGE_CARDS_WAIT} s")

    async def tickets_and_cards(self, url: str, name: str, submits: list[Result]) -> int:
        """One ticket per submitted form, one queued triage card per ticket; returns the tickets."""
        tickets = await database_rows(url, "SELECT id, idempotency_key FROM tickets")
        expected = [f"draft:{_draft(result.activity)}" for result in submits if result.ok]
        exactly_once(self.checks, name, "its ticket", expected, [row["idempotency_key"] for row in tickets])
        cards = await database_rows(
            url, "SELECT ticket_id FROM outbox WHERE card = ? AND operation = ?", ("triage", "post")
        )
        ids = [str(row["id"]) for row in tickets]
        exactly_once(self.checks, name, "its queued triage card", ids, [str(row["ticket_id"]) for row in cards])
        return len(tickets)


def _created(sent: list[Sent]) -> list[Sent]:
    """New conversations (a triage card opens a thread in the triage channel)."""
    return [item for item in sent if item["method"] == "POST" and item["path"] == "/v3/conversations"]


def _help(lane: int, k: int) -> str:
    return "help"


def _is_help(item: Sent) -> bool:
    return is_help(item, PARTNER)


def _marker(text: str) -> str:
    start = text.find("[bench ")
    return text[start : text.find("]", start) + 1] if start >= 0 else ""


def _draft(activity: dict[str, Any]) -> str:
    return str(activity["value"]["action"]["data"]["id"])


def database_url(engine: str, data: Path) -> str:
    """A fresh database for one desk process: SQLite in its folder, or a new schema on DESK_TEST_POSTGRES's server."""
    if engine == "sqlite":
        return f"sqlite:///{data}/desk.db"
    from tests.support.engines import new_schema, postgres_server_url, schema_url

    server = postgres_server_url()
    if server is None:
        raise SystemExit(f"--engine postgresql needs {'DESK_TEST_POSTGRES'} (python -m tests.support.pg_server -- ...)")
    return schema_url(server, new_schema())
