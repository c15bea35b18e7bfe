"""Who is who in conversations that hold people of several tenants, at the HTTP level: external members of shared
channels post under the host's tenant, so only the roster's record of their own tenant says who they are."""

from __future__ import annotations

import pytest

from emulator import demo
from tests.bot.helpers import card_text, raise_ticket, rows, set_triage_channel, ticket_row
from tests.support.activities import SharedChannel, TeamsUser, join_roster, user

MESSAGE = "application/vnd.microsoft.activity.message"
STRANGER_REPLY = "serves customers of Contoso Cloud Services only"


@pytest.fixture
def shared_triage(connector, triage_channel) -> SharedChannel:
    """The partner's triage channel, shared with people of other organisations."""
    return SharedChannel(triage_channel.team_id, triage_channel.channel_id, connector.url, demo.PARTNER.tenant_id)


def said(desk, conversation_prefix: str) -> str:
    """Everything the bot posted to conversations starting with the prefix: texts and card texts."""
    posts = desk.connector.posts(conversation_prefix)
    return "\n".join(p.text + "\n".join(card_text(c) for c in p.cards) for p in posts)


EXTERNALS = {
    "a stranger's user": user(demo.STRANGER, 0),
    "a customer's user": user(demo.FABRIKAM, 2),
}


@pytest.mark.parametrize("who", list(EXTERNALS))
async def test_external_member_of_the_partners_shared_channel_is_not_a_technician(
    desk, customer_chat, triage_channel, technician, shared_triage, who
):
    await set_triage_channel(desk, triage_channel, technician)
    number = await raise_ticket(desk, customer_chat)
    external = EXTERNALS[who]
    before = await ticket_row(desk, number)
    sent_before = len(desk.connector.sent)

    await desk.send(shared_triage.message(external, "queue"))
    status, body = await desk.send(
        shared_triage.invoke(external, "ticket.assign_me", number, thread=before["triage_activity_id"])
    )
    await desk.delivered()

    assert status == 200 and body["type"] == MESSAGE and STRANGER_REPLY in body["value"]
    replies = desk.connector.sent[sent_before:]
    assert [STRANGER_REPLY in r.text for r in replies] == [True], [r.text for r in replies]
    assert number not in "".join(card_text(c) for r in replies for c in r.cards)
    assert await ticket_row(desk, number) == before
    technicians = await rows(desk, "SELECT aad_id FROM technicians")
    assert external.aad_id not in {t["aad_id"] for t in technicians}


async def test_partner_member_whose_roster_entry_names_no_tenant_is_not_a_technician(
    desk, connector, customer_chat, triage_channel, technician
):
    await set_triage_channel(desk, triage_channel, technician)
    number = await raise_ticket(desk, customer_chat)
    diego = user(demo.PARTNER, 1)
    connector.members[diego.user_id] = {k: v for k, v in diego.member().items() if k != "tenantId"}

    await desk.send(triage_channel.message(diego, "queue"))
    await desk.delivered()

    reply = desk.connector.posts(triage_channel.channel_id)[-1]
    assert STRANGER_REPLY in reply.text
    assert number not in "".join(card_text(c) for c in reply.cards)


async def test_triage_here_learns_no_technician_whose_roster_tenant_is_unknown(
    desk, connector, triage_channel, technician
):
    nameless = TeamsUser("29:no-tenant", "0b6f3d2a-1c4e-4f5a-8b7c-9d0e1f2a3bff", "No Tenant", "", "nt@example.com")
    join_roster(connector, nameless)
    connector.members[nameless.user_id].pop("tenantId")

    await set_triage_channel(desk, triage_channel, technician)

    learned = {t["aad_id"] for t in await rows(desk, "SELECT aad_id FROM technicians")}
    assert technician.aad_id in learned
    assert nameless.aad_id not in learned


@pytest.mark.parametrize("who", ["a stranger's user", "the partner's technician"])
async def test_external_member_of_a_customers_shared_channel_is_not_that_customer(desk, connector, who):
    fabrikam_channel = SharedChannel(
        "19:fabrikam-team@thread.tacv2", "19:fabrikam-it@thread.tacv2", connector.url, demo.FABRIKAM.tenant_id
    )
    external = user(demo.STRANGER, 0) if who == "a stranger's user" else user(demo.PARTNER, 0)

    await desk.send(fabrikam_channel.message(external, "help"))
    status, body = await desk.send(fabrikam_channel.invoke(external, "help.show"))
    await desk.delivered()

    assert STRANGER_REPLY in said(desk, fabrikam_channel.channel_id)
    assert "New ticket" not in said(desk, fabrikam_channel.channel_id)
    assert status == 200 and body["type"] == MESSAGE and STRANGER_REPLY in body["value"]
    for table in ("conversations", "inbound_activities", "drafts", "tickets", "technicians"):
        assert await rows(desk, f"SELECT * FROM {table}") == [], table


async def test_a_customers_own_user_in_their_shared_channel_is_that_customer(desk, connector):
    fabrikam_channel = SharedChannel(
        "19:fabrikam-team@thread.tacv2", "19:fabrikam-it@thread.tacv2", connector.url, demo.FABRIKAM.tenant_id
    )

    await desk.send(fabrikam_channel.message(user(demo.FABRIKAM, 1), "help"))
    await desk.delivered()

    text = said(desk, fabrikam_channel.channel_id)
    assert STRANGER_REPLY not in text
    assert "Contoso Cloud Services support" in text


async def test_triage_here_learns_no_technician_whose_roster_role_is_unknown(
    desk, connector, triage_channel, technician
):
    diego = user(demo.PARTNER, 1)
    connector.members[diego.user_id].pop("userRole")

    await set_triage_channel(desk, triage_channel, technician)

    learned = {t["aad_id"] for t in await rows(desk, "SELECT aad_id FROM technicians")}
    assert technician.aad_id in learned
    assert diego.aad_id not in learned
