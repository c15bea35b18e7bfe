"""What bench/turns.py checks after each run: every turn that was answered 2xx got its reply at the connector (once),
and the desk's database holds what the turns made (tickets, relayed messages, queued cards), nothing twice."""

from __future__ import annotations

import json
import re
import urllib.request
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bench.turns_client import Result
from desk.i18n import Translator
from desk.store.database import open_database

Sent = dict[str, Any]  # one request a bot made to the connector, as bench/turns_fakes.py summarises it
T = Translator("en-US")
CARD_TYPE = "application/vnd.microsoft.card.adaptive"
TICKET_NUMBER = re.compile(r"T-\d+")


@dataclass
class Checks:
    """Failed checks, by run."""

    failures: list[str] = field(default_factory=list)

    def expect(self, holds: bool, run: str, what: str) -> None:
        if not holds:
            self.failures.append(f"{run}: {what}")


def sent_since(connector: str, start: int) -> list[Sent]:
    """What bots sent to the connector from its `start`th request on."""
    with urllib.request.urlopen(f"{connector.rstrip('/')}/bench/sent?from={start}", timeout=60) as answer:
        return list(json.load(answer)["sent"])


def sent_count(connector: str) -> int:
    """How many requests bots have made to the connector so far."""
    with urllib.request.urlopen(f"{connector.rstrip('/')}/bench/sent?from=999999999", timeout=60) as answer:
        return int(json.load(answer)["count"])


def replies(sent: list[Sent]) -> dict[tuple[str, str], list[Sent]]:
    """Replies (POST .../activities/{id}) by (conversation, the activity id they answer)."""
    found: dict[tuple[str, str], list[Sent]] = defaultdict(list)
    for item in sent:
        if item["method"] == "POST" and item["reply_to"]:
            found[(item["conversation"], item["reply_to"])].append(item)
    return found


def check_replies(
    checks: Checks, run: str, results: list[Result], sent: list[Sent], accept: Callable[[Sent], bool]
) -> None:
    """Each 2xx turn got exactly one reply, and it is the one `accept` expects."""
    by_turn = replies(sent)
    missing = wrong = doubled = 0
    for result in results:
        if not result.ok:
            continue
        activity = result.activity
        answers = by_turn.get((activity["conversation"]["id"], activity["id"]), [])
        missing += not answers
        doubled += len(answers) > 1
        wrong += bool(answers) and not all(accept(answer) for answer in answers)
    answered = sum(result.ok for result in results)
    checks.expect(missing == 0, run, f"{missing} of {answered} answered turns got no reply at the connector")
    checks.expect(doubled == 0, run, f"{doubled} turns got more than one reply")
    checks.expect(wrong == 0, run, f"{wrong} turns got a reply other than the expected one")


def check_invokes(checks: Checks, run: str, results: list[Result], accept: Callable[[Any], bool]) -> None:
    """Each 2xx invoke's answer is the card `accept` expects."""
    wrong = sum(1 for result in results if result.ok and not accept(result.body))
    checks.expect(wrong == 0, run, f"{wrong} answered invokes did not answer with the expected card")


def is_help(item: Sent, partner: str) -> bool:
    return bool(item["title"] == T("welcome.title", partner=partner))


def is_form(item: Sent) -> bool:
    return bool(item["title"] == T("form.heading") and item["submit_id"])


def is_created(body: Any) -> bool:
    """The invoke answer to a submitted form: the ticket's status card, saying it was created."""
    if not isinstance(body, dict) or body.get("statusCode") != 200 or body.get("type") != CARD_TYPE:
        return False
    text = json.dumps(body.get("value"), ensure_ascii=False)
    thanks = T("created.message", number="T-", due="").split("T-")[0]
    return thanks in text and TICKET_NUMBER.search(text) is not None


def is_relayed(item: Sent) -> bool:
    added = T("message.added", number="{number}").split("{number}")[0]
    return bool(item["text"].startswith(added) and TICKET_NUMBER.search(item["text"]))


async def database_rows(url: str, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    """Rows of the desk's database, read once its process has stopped."""
    db = await open_database(url, 1)
    try:
        return list(await db.read(lambda cx: cx.all(sql, params)))
    finally:
        await db.close()


def exactly_once(checks: Checks, run: str, what: str, expected: list[str], found: list[str]) -> None:
    """Every expected key is found exactly once."""
    counts = Counter(found)
    missing = [key for key in expected if counts[key] == 0]
    doubled = [key for key in expected if counts[key] > 1]
    checks.expect(not missing, run, f"{len(missing)} of {len(expected)} without {what} (first: {missing[:1]})")
    checks.expect(not doubled, run, f"{len(doubled)} with {what} more than once (first: {doubled[:1]})")
