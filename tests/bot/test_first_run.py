"""What a new user meets on a first run of local mode (`./scripts/run` with no configuration at all): the demo
partner introduces itself with its support profile, and the demo answers at any hour. Values the user sets in the
environment win over the demo's."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from desk.settings import Settings
from tests.bot.helpers import card_text, raise_ticket
from tests.support.connector import LocalConnector
from tests.support.harness import FixedClock, start_desk

# A Saturday, 03:00 UTC: outside any weekday office hours.
SATURDAY_NIGHT = datetime(2026, 11, 28, 3, 0, tzinfo=UTC)


def first_run_settings(folder: Path, connector: LocalConnector, **given: str) -> Settings:
    """Local mode as `./scripts/run` starts it: nothing configured but where files go (and the test connector)."""
    env = {
        "DATA_DIR": str(folder),
        "DATABASE_URL": f"sqlite:///{folder}/desk.db",
        "SERVICE_URL_ALLOWLIST": connector.url,
        **given,
    }
    return Settings.from_env(env, env_file=None)


async def help_text(desk, conversation_id: str) -> str:
    """The text of the welcome card last posted in a conversation."""
    await desk.delivered()
    return card_text(desk.connector.posts(conversation_id)[-1].cards[0])


async def test_the_demo_partner_introduces_itself_with_its_support_profile(
    tmp_path, connector, customer_chat, triage_channel, technician
):
    desk = await start_desk(first_run_settings(tmp_path, connector), connector)
    try:
        await desk.send(customer_chat.message("help"))
        customer = await help_text(desk, customer_chat.conversation_id)
        await desk.send(triage_channel.message(technician, "help"))
        partner = await help_text(desk, triage_channel.channel_id)
    finally:
        await desk.close()
    assert "Contoso Cloud Services" in customer
    assert "Partner Desk for Contoso Cloud Services." in partner
    assert "Partner Desk for Partner Desk" not in partner
    for detail in ("support@contosocloud.com", "+1 425 555 0142", "https://support.contosocloud.com"):
        assert detail in customer
    assert "Chat here in Teams, E-mail, Phone, Website" in customer, "every demo contact method"
    assert "Pricing" in customer and "Emergency contact" in customer


async def test_values_the_user_sets_win_over_the_demo(tmp_path, connector, customer_chat):
    settings = first_run_settings(
        tmp_path, connector, PARTNER_NAME="Litware Support", SUPPORT_PHONE="", SUPPORT_CONTACT_METHODS="teams"
    )
    desk = await start_desk(settings, connector)
    try:
        await desk.send(customer_chat.message("help"))
        customer = await help_text(desk, customer_chat.conversation_id)
    finally:
        await desk.close()
    assert "Litware Support" in customer and "Contoso Cloud Services" not in customer
    assert "+1 425 555 0142" not in customer, "SUPPORT_PHONE set to nothing means no telephone"
    assert "support@contosocloud.com" in customer, "what the user left unset still comes from the demo"
    assert "E-mail, Phone" not in customer


async def test_the_demo_answers_at_any_hour(tmp_path, connector, customer_chat):
    desk = await start_desk(first_run_settings(tmp_path, connector), connector, FixedClock(SATURDAY_NIGHT))
    try:
        await raise_ticket(desk, customer_chat)
        await desk.send(customer_chat.message("help"))
        told = [s.text for s in desk.connector.posts(customer_chat.conversation_id) if s.text]
        welcome = await help_text(desk, customer_chat.conversation_id)
    finally:
        await desk.close()
    assert not [text for text in told if "closed right now" in text], told
    assert "24x7" in welcome


async def test_support_hours_set_by_the_user_are_kept(tmp_path, connector, customer_chat):
    settings = first_run_settings(tmp_path, connector, SUPPORT_HOURS="Mon-Fri 09:00-17:00")
    desk = await start_desk(settings, connector, FixedClock(SATURDAY_NIGHT))
    try:
        await raise_ticket(desk, customer_chat)
        told = [s.text for s in desk.connector.posts(customer_chat.conversation_id) if s.text]
    finally:
        await desk.close()
    assert any("Contoso Cloud Services support is closed right now" in text for text in told), told
