"""bench/turns.py's core at a tiny size, every bot in its own process as in a full run: every turn is answered and
its reply checked, the submits make tickets with queued triage cards (its figures are not looked at); and its checks
do fail on a missing, doubled or wrong reply, or on a ticket made twice."""

from pathlib import Path

from bench.turns import BASELINE, ECHO_ROWS, Options, bench
from bench.turns_checks import Checks, check_replies, exactly_once, is_help
from bench.turns_client import Result
from bench.turns_desk import ROWS, WARM_UP_PER_LANE

LANES = 2
TURNS = 4


def test_every_turn_of_every_bot_gets_its_reply_and_the_submits_make_tickets(tmp_path: Path) -> None:
    outcome = bench(Options(turns=TURNS, in_flight=LANES, floor_turns=2 * TURNS, seconds=None), tmp_path)

    assert outcome.checks.failures == []
    runs = {run.name: run for run in outcome.runs}
    assert set(runs) == {"plain aiohttp handler", *ECHO_ROWS.values(), *ROWS.values()}
    assert BASELINE in runs
    for name, run in runs.items():
        assert len(run.results) == (2 * TURNS if name == "plain aiohttp handler" else TURNS), name
        assert all(result.ok for result in run.results), name
    submits = TURNS + WARM_UP_PER_LANE * LANES
    relay_set_up = LANES  # one ticket per relaying customer
    assert outcome.tickets == submits + relay_set_up
    assert all(isinstance(result.body, dict) for result in runs[ROWS["submit"]].results)


def _turn(conversation: str, activity_id: str, status: int = 201) -> Result:
    return Result({"id": activity_id, "conversation": {"id": conversation}}, status, 0.01)


def _reply(conversation: str, reply_to: str, title: str = "Contoso Cloud Services support") -> dict:
    return {"method": "POST", "conversation": conversation, "reply_to": reply_to, "title": title, "text": ""}


def _help(item: dict) -> bool:
    return is_help(item, "Contoso Cloud Services")


def test_a_reply_missing_doubled_or_wrong_fails_the_check() -> None:
    checks = Checks()
    turns = [_turn("a", "1"), _turn("a", "2"), _turn("b", "3"), _turn("b", "4"), _turn("c", "5", status=503)]
    sent = [_reply("a", "1"), _reply("b", "3"), _reply("b", "3"), _reply("b", "4", title="Something else")]

    check_replies(checks, "help", turns, sent, _help)

    assert checks.failures == [
        "help: 1 of 4 answered turns got no reply at the connector",  # the 503 needs none
        "help: 1 turns got more than one reply",
        "help: 1 turns got a reply other than the expected one",
    ]


def test_every_reply_in_place_passes_the_check() -> None:
    checks = Checks()
    check_replies(checks, "help", [_turn("a", "1")], [_reply("a", "1")], _help)
    assert checks.failures == []


def test_a_ticket_missing_or_made_twice_fails_the_check() -> None:
    checks = Checks()
    exactly_once(checks, "submit", "its ticket", ["draft:1", "draft:2", "draft:3"], ["draft:1", "draft:3", "draft:3"])
    assert checks.failures == [
        "submit: 1 of 3 without its ticket (first: ['draft:2'])",
        "submit: 1 with its ticket more than once (first: ['draft:3'])",
    ]
