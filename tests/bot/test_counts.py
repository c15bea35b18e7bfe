"""Counts and names in sentences, read as a person reads them, in English and Russian: "1 open ticket" and
"2 open tickets" (CLDR plural rules: Russian has one, few and many), never "ticket(s)"; a customer's name never
gets an English possessive ("Tailspin Toys's")."""

from __future__ import annotations

from tests.bot.helpers import card_text, raise_ticket, set_triage_channel

RUSSIAN = "ru-RU"


async def said(desk, channel, technician, text, locale="en-US"):
    """A technician's command in the channel; the bot's last post there, as text."""
    activity = channel.message(technician, text)
    activity["locale"] = locale
    await desk.send(activity)
    await desk.runtime.services.spawner.drain()
    await desk.delivered()
    updates = [u for u in desk.connector.updates() if u.cards]
    post = desk.connector.posts(channel.channel_id)[-1]
    if text == "health all" and updates:
        return card_text(updates[-1].cards[0])
    return card_text(post.cards[0]) if post.cards else post.text


async def test_open_ticket_counts_per_customer(desk, customer_chat, triage_channel, technician):
    await set_triage_channel(desk, triage_channel, technician)
    await raise_ticket(desk, customer_chat)
    english = await said(desk, triage_channel, technician, "customers")
    assert "— 1 open ticket ·" in english and "— 0 open tickets ·" in english, english
    russian = await said(desk, triage_channel, technician, "customers", RUSSIAN)
    assert "1 открытая заявка" in russian and "0 открытых заявок" in russian, russian


async def test_the_backlog_posted_to_a_new_triage_channel(desk, customer_chat, triage_channel, technician):
    await raise_ticket(desk, customer_chat)
    await desk.send(triage_channel.message(technician, "triage here"))
    await desk.delivered()
    told = [s.text for s in desk.connector.posts(triage_channel.channel_id) if s.text]
    assert "Posting 1 open ticket that was waiting for a triage channel." in told, told


async def test_service_health_counts_without_brackets(desk, triage_channel, technician):
    fabrikam = await said(desk, triage_channel, technician, "health fabrikam")
    assert "(s)" not in fabrikam and "(ies)" not in fabrikam, fabrikam
    assert "1 service is not running normally; 1 open incident or advisory." in fabrikam, fabrikam
    northwind = await said(desk, triage_channel, technician, "health northwind", RUSSIAN)
    assert "2 открытых инцидента или рекомендации" in northwind, northwind


async def test_the_sweep_summary_counts_in_both_languages(desk, triage_channel, technician):
    english = await said(desk, triage_channel, technician, "health all")
    assert "4 customers checked: 2 open incidents or advisories; 2 customers with degraded services." in english
    russian = await said(desk, triage_channel, technician, "health all", RUSSIAN)
    assert "Проверено 4 клиента" in russian and "у 2 клиентов" in russian, russian


async def test_a_customer_name_gets_no_possessive(desk, triage_channel, technician):
    text = await said(desk, triage_channel, technician, "health tailspin")
    assert "Tailspin Toys's" not in text and "Tailspin Toys'" not in text, text
    assert "the service health of Tailspin Toys" in text, text
