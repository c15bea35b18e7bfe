"""The fault matrix, Teams' side: the Bot Connector answers the desk's sends to one conversation (a customer's chat,
or new threads in the triage channel) with 429, 500, 503, too late, with a body that is not JSON, and with JSON of
the wrong shape, while a technician answers that customer and a customer of another tenant files a ticket.

What Teams says to retry (429 after Retry-After; 412/502/503/504 and transport failures with backoff) is retried
within SendPolicy.max_attempts and delivered once the connector answers again; the other conversations are
delivered meanwhile. What Teams accepted (a 2xx, whatever its body) is delivered and never sent again. A 500 is not
retried, as Microsoft's table of the bot APIs' status codes says ("500 ServiceError ... Retry request: No",
https://learn.microsoft.com/microsoftteams/platform/bots/how-to/conversations/conversation-messages#status-codes-from-bot-conversational-apis).
"""

from __future__ import annotations

import asyncio

import pytest

from bot.outbox.send_policy import SendPolicy
from emulator import demo
from tests.bot.helpers import card_text, raise_ticket
from tests.faults.conftest import MakeRig
from tests.faults.rig import SLOW_ANSWER, FaultRig, our_tracebacks
from tests.support.connector import Reply, Sent

MAX_ATTEMPTS = SendPolicy().max_attempts
MEGAN_CHAT = f"a:personal-{demo.FABRIKAM.users[0].aad_id}"  # Megan's personal chat with the bot
ANSWER = "We are restarting your mail gateway now."
# What the connector answers the affected conversation's sends, in turn, before it answers normally again.
REPLIES: dict[str, list[Reply]] = {
    "429": [Reply(429, headers={"Retry-After": "3"})] * 3,
    "500": [Reply(500, body={"error": {"code": "ServiceError", "message": "Unknown error"}})],
    "503": [Reply(503)] * 3,
    # Too late for the desk's timeout; when it does answer, it says it did not deliver either.
    "timeout": [Reply(504, delay=SLOW_ANSWER)] * 2,
    # Delivered, but the answer that says so is cut off, or has no id.
    "malformed": [Reply(201, raw='{"id": "cut off', delivered=True)],
    "wrong_shape": [Reply(201, body={"unexpected": "shape"}, delivered=True)],
}


def words(sent: Sent) -> str:
    """What a send says: its card's text, else its text."""
    return card_text(sent.cards[0]) if sent.cards else sent.text


async def answer_while_a_customer_files(rig: FaultRig) -> str:
    """Alex answers Megan's ticket while Nestor of Northwind files one; returns Nestor's ticket number."""
    said, number = await asyncio.gather(rig.said(f"reply T-1001 {ANSWER}"), rig.nestor_files_a_ticket())
    assert "Sent to the customer on T-1001." in said
    return number


async def faulted(make_rig: MakeRig, fault: str, path: str, exact: bool = False) -> tuple[FaultRig, str]:
    """Megan has ticket T-1001; then the connector answers the POSTs to `path` with the fault's replies while Alex
    answers her and Nestor files a ticket, and the outbox delivers (retries included); returns Nestor's number."""
    rig = await make_rig()
    assert await raise_ticket(rig.counted(), rig.megan) == "T-1001"
    rig.connector.fail_next("POST", *REPLIES[fault], path=path, exact=exact)
    number = await answer_while_a_customer_files(rig)
    await rig.deliver_all(rounds=MAX_ATTEMPTS + 2)
    return rig, number


async def bounded_and_delivered_once(rig: FaultRig, fault: str, sends: list[Sent]) -> None:
    """The affected message: tried as long as the connector refused it and no longer, within the policy's attempts,
    delivered once and never again; a 500 tried once and failed."""
    replies = REPLIES[fault]
    delivered = [s for s in sends if s.response_id is not None]
    unsent = await rig.outbox_unsent()
    if fault == "500":
        assert len(sends) == 1 and delivered == [], "not retried"
        assert unsent and unsent[0]["attempts"] == 1 and "HTTP 500" in unsent[0]["last_error"]
        assert {row["status"] for row in unsent} == {"failed"}, "nothing left pending"
    else:
        assert len(delivered) == 1, "delivered, and once"
        assert len(sends) == (1 if replies[0].delivered else len(replies) + 1) <= MAX_ATTEMPTS
        assert unsent == []


@pytest.mark.parametrize("fault", REPLIES)
async def test_sends_to_one_customer_chat(make_rig: MakeRig, caplog: pytest.LogCaptureFixture, fault: str) -> None:
    rig, number = await faulted(make_rig, fault, f"/v3/conversations/{MEGAN_CHAT}/activities")

    assert await rig.ticket_reached_triage(number), "the other customer's ticket reached the technicians"
    answers = [s for s in rig.connector.sent_to(rig.megan.conversation_id) if ANSWER in words(s)]
    await bounded_and_delivered_once(rig, fault, answers)
    assert max(rig.statuses) < 500, rig.statuses
    assert our_tracebacks(caplog.records) == []


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param(
            name,
            marks=pytest.mark.xfail(
                strict=True,
                reason="a new thread whose creation Teams answered 2xx with an unreadable body is posted again (a "
                "second card): the desk needs the thread's id to update the card and reply in its thread, and "
                "Teams offers no way to find it afterwards; left as is (reported)",
            ),
        )
        if name == "malformed"
        else name
        for name in REPLIES
    ],
)
async def test_new_threads_in_the_triage_channel(
    make_rig: MakeRig, caplog: pytest.LogCaptureFixture, fault: str
) -> None:
    rig, number = await faulted(make_rig, fault, "/v3/conversations", exact=True)

    answers = [s for s in rig.connector.delivered(rig.megan.conversation_id) if ANSWER in words(s)]
    assert len(answers) == 1, "the customer got the technician's answer meanwhile, once"
    cards = [s for s in rig.connector.sent if s.path == "/v3/conversations" and number in words(s)]
    await bounded_and_delivered_once(rig, fault, cards)
    assert max(rig.statuses) < 500, rig.statuses
    assert our_tracebacks(caplog.records) == []
