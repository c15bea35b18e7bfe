"""`admin <customer>` against the emulator, which refuses app-only tokens on managedservices as Partner Center does
(learn.microsoft.com/en-us/partner-center/developer/get-the-managed-services-for-a-customer-by-id): a signed-in
technician gets the admin portals with their own sign-in; one not signed in is offered the sign-in and still sees
what app-only calls give (subscriptions, the Partner Center link)."""

from __future__ import annotations

from typing import Any

from emulator import demo
from tests.bot.helpers import card_text, set_triage_channel
from tests.bot.test_escalation import sign_in

MANAGED = "/partnercenter/v1/customers/9c4e2b7a-3d1f-4a8e-b6c5-2f0e1d3c4b01/managedservices"


async def ask_admin(desk, triage_channel, technician) -> dict[str, Any]:
    await desk.send(triage_channel.message(technician, "admin fabrikam"))
    return desk.connector.posts(triage_channel.channel_id)[-1].cards[0]


def portal_links(card: dict[str, Any]) -> list[str]:
    return [a["url"] for block in card["body"] if block.get("type") == "ActionSet" for a in block["actions"]]


def buttons(card: dict[str, Any]) -> list[dict[str, Any]]:
    return list(card.get("actions", []))


async def test_not_signed_in_offers_the_sign_in_and_shows_what_app_only_gives(desk, triage_channel, technician):
    await set_triage_channel(desk, triage_channel, technician)

    card = await ask_admin(desk, triage_channel, technician)

    text = card_text(card)
    assert "Service management · Fabrikam, Inc." in text
    assert "admin portals need your own Partner Center sign-in" in text
    assert portal_links(card) == [], "no portal links without the technician's sign-in"
    assert "Microsoft 365 Business Premium" in text, "subscriptions are read with the app's own token"
    assert any("partner.microsoft.com/dashboard/v2/customers/9c4e2b7a" in a.get("url", "") for a in buttons(card))
    sign_in_button = next(a for a in buttons(card) if a.get("verb") == "admin.sign_in")
    assert sign_in_button["title"] == "Sign in to Partner Center"
    seen = desk.runtime.emulator.state.requests(MANAGED)
    assert seen == [], "managedservices is not called with a token Partner Center refuses"


async def test_the_sign_in_button_shows_the_sign_in_card(desk, triage_channel, technician):
    await set_triage_channel(desk, triage_channel, technician)
    card = await ask_admin(desk, triage_channel, technician)
    target = next(a for a in buttons(card) if a.get("verb") == "admin.sign_in")["data"]["id"]

    status, body = await desk.send(triage_channel.invoke(technician, "admin.sign_in", target))

    assert status == 200
    prompt = body["value"]
    assert "Sign in to Partner Center" in card_text(prompt)
    assert any(a["type"] == "Action.OpenUrl" and "/auth/signin/" in a["url"] for a in buttons(prompt))


async def test_signed_in_technician_sees_portal_links_with_their_own_sign_in(desk, triage_channel, technician):
    await set_triage_channel(desk, triage_channel, technician)
    await desk.send(triage_channel.message(technician, "sign in"))
    prompt = desk.connector.posts(triage_channel.channel_id)[-1].cards[0]
    status, _ = await sign_in(desk, prompt)
    assert status == 200

    card = await ask_admin(desk, triage_channel, technician)

    text = card_text(card)
    assert "Microsoft 365 admin center" in text and "Microsoft 365 Business Premium" in text
    assert "sign-in" not in text
    links = portal_links(card)
    assert links and all(url.startswith("https://") for url in links)
    assert [a for a in buttons(card) if a.get("verb") == "admin.sign_in"] == []
    calls = desk.runtime.emulator.state.requests(MANAGED)
    assert [c.status for c in calls] == [200]
    assert "Bearer " in calls[0].headers.get("Authorization", "")


async def test_another_technicians_sign_in_is_not_lent(desk, triage_channel, technician):
    from tests.support.activities import user

    await set_triage_channel(desk, triage_channel, technician)
    await desk.send(triage_channel.message(technician, "sign in"))
    await sign_in(desk, desk.connector.posts(triage_channel.channel_id)[-1].cards[0])
    colleague = user(demo.PARTNER, 1)

    card = await ask_admin(desk, triage_channel, colleague)

    assert portal_links(card) == [], "Alex's sign-in does not open the portals for Diego"
    assert "admin portals need your own Partner Center sign-in" in card_text(card)
