"""The notice a customer gets right after filing a ticket that matches an active Microsoft incident: the
incident's title once, Microsoft's latest status in whole sentences, and when Microsoft's next update is due as a
date in the reader's language (Microsoft's posts repeat the title and spell the date out in English)."""

from __future__ import annotations

from datetime import timedelta

from tests.bot.helpers import GOOD_TICKET, form_message_id, raise_ticket, set_triage_channel, submit_target

TITLE = "Users may be unable to send or receive email"
LONG_STATUS = " ".join(
    f"Step {n}: we've applied a targeted mitigation to mailbox servers in region {n} and are monitoring it."
    for n in range(1, 9)
)
POST_12H = (
    f"Title: {TITLE}<br><br>User impact: Users may be unable to send or receive email.<br><br>"
    f"More info: Outlook on the web is also affected.<br><br>Current status: {LONG_STATUS}<br><br>"
    "Scope of impact: Any user may be affected.<br><br>"
    "Next update by: Friday, March 6, 2026, at 5:30 PM UTC"
)


async def notice(desk, chat) -> str:
    """The incident notice the customer was sent."""
    await desk.runtime.services.spawner.drain()
    await desk.delivered()
    told = [s.text for s in desk.connector.posts(chat.conversation_id) if s.text and "EX987654" in s.text]
    assert len(told) == 1, told
    return told[0]


async def test_the_notice_names_the_incident_once_with_whole_sentences_and_a_date(
    desk, customer_chat, triage_channel, technician
):
    await set_triage_channel(desk, triage_channel, technician)
    await raise_ticket(desk, customer_chat, service="Outlook", title="Can't send mail")
    text = await notice(desk, customer_chat)
    assert text.count(TITLE) == 1, text
    assert "Title:" not in text and "User Impact" not in text and "…" not in text, text
    assert "We're reverting the change." in text
    issue = desk.runtime.emulator.state.issues["EX987654"]
    due = issue.start + timedelta(hours=3)
    assert f"{due:%A}, {due.day} {due:%B} {due.year}, {due:%H:%M} UTC" in text, text


async def test_a_long_status_is_cut_between_sentences_and_a_12_hour_time_is_read(
    desk, customer_chat, triage_channel, technician
):
    desk.runtime.emulator.state.add_post("EX987654", POST_12H)
    await set_triage_channel(desk, triage_channel, technician)
    await raise_ticket(desk, customer_chat, service="Outlook", title="Can't send mail")
    text = await notice(desk, customer_chat)
    assert text.count(TITLE) == 1, text
    assert "Step 1: we've applied a targeted mitigation" in text
    assert "Step 8" not in text, "a long status is shortened"
    status = text[text.index("Step 1") : text.index("The next update from Microsoft")]
    assert status.rstrip().endswith("monitoring it."), f"cut at a sentence boundary: {status!r}"
    assert "Friday, 6 March 2026, 17:30 UTC" in text, text
    assert "Scope of impact" not in text and "More info" not in text


async def test_the_notice_is_in_russian_for_a_russian_customer(desk, customer_chat, triage_channel, technician):
    desk.runtime.emulator.state.add_post("EX987654", POST_12H)
    await set_triage_channel(desk, triage_channel, technician)
    await desk.send(customer_chat.message("new ticket", locale="ru-RU"))
    card = desk.connector.posts(customer_chat.conversation_id)[-1].cards[0]
    inputs = {**GOOD_TICKET, "service": "Outlook", "title": "Не уходит почта"}
    reply_to = form_message_id(desk, customer_chat)
    submit = customer_chat.invoke("ticket.submit", submit_target(card), inputs, replyToId=reply_to, locale="ru-RU")
    await desk.send(submit)
    text = await notice(desk, customer_chat)
    assert "пятница, 6 марта 2026" in text and "17:30 UTC" in text, text
