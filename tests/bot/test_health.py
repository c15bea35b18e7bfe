"""Service health through the bot at the HTTP level, against the Graph emulator's demo tenants: commands, the
sweep, the customer's own status, tickets linked to incidents, and the monitor's incident cards."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.jobs.background import Periodic
from bot.jobs.monitor import monitor_round
from emulator import demo
from emulator.state import Fault
from tests.bot.helpers import card_text, raise_ticket, rows, set_triage_channel, ticket_row
from tests.support.activities import Chat, user
from tests.support.harness import local_settings, start_desk


async def said(desk, channel, technician, text):
    """A technician's command in the triage channel; returns the bot's last post there, as text."""
    await desk.send(channel.message(technician, text))
    post = desk.connector.posts(channel.channel_id)[-1]
    return card_text(post.cards[0]) if post.cards else post.text


async def settle(desk):
    """Let background work (sweeps, incident links) finish and its messages go out."""
    await desk.runtime.services.spawner.drain()
    await desk.delivered()


async def test_health_of_one_customer_lists_degraded_first(desk, triage_channel, technician):
    text = await said(desk, triage_channel, technician, "health fabrik")
    assert "Service health · Fabrikam, Inc." in text
    assert text.index("⚠ Exchange Online") < text.index("Microsoft Teams")
    assert "Degraded" in text
    assert "Partner/BeginClientSession.aspx?CTID=9c4e2b7a-3d1f-4a8e-b6c5-2f0e1d3c4b01" in text


async def test_customer_names_are_matched_forgivingly(desk, triage_channel, technician):
    assert "Northwind Traders" in await said(desk, triage_channel, technician, "health NORTHWIND")
    assert "Adventure Works" in await said(desk, triage_channel, technician, "health works")
    assert "Tailspin Toys" in await said(desk, triage_channel, technician, "health tailspintoys.onmicrosoft.com")
    assert "No customer matches" in await said(desk, triage_channel, technician, "health contoso")


async def test_missing_consent_says_what_to_grant(desk, triage_channel, technician):
    text = await said(desk, triage_channel, technician, "health tailspin")
    assert "ServiceHealth.Read.All" in text and "consent" in text
    assert "Traceback" not in text


async def test_incidents_of_a_customer(desk, triage_channel, technician):
    text = await said(desk, triage_channel, technician, "incidents northwind")
    assert "EX987654" in text and "TM123456" in text
    assert "Users may be unable to send or receive email" in text
    assert "Advisory" in text and "Incident" in text
    assert "Latest update" in text
    assert "<p>" not in text, "Microsoft's HTML posts are shown as plain text"


async def test_health_all_merges_one_incident_across_tenants(desk, triage_channel, technician):
    await desk.send(triage_channel.message(technician, "health all"))
    progress = desk.connector.posts(triage_channel.channel_id)[-1]
    assert "0 of 4 customers checked" in card_text(progress.cards[0])
    await settle(desk)
    final = card_text(desk.connector.updates()[-1].cards[0])
    assert desk.connector.updates()[-1].activity_id == progress.response_id, "the same message, updated in place"
    assert final.count("EX987654") == 1
    assert "Fabrikam, Inc., Northwind Traders" in final
    assert "Could not read" in final and "Tailspin Toys" in final


async def test_health_all_shows_progress_while_slow_tenants_answer(desk, triage_channel, technician):
    state = desk.runtime.emulator.state
    for tenant in (demo.NORTHWIND.tenant_id, demo.ADVENTURE_WORKS.tenant_id):
        state.inject(Fault("/graph/v1.0/admin/serviceAnnouncement/healthOverviews", status=0, delay=1.3, tenant=tenant))
    await desk.send(triage_channel.message(technician, "health all"))
    await settle(desk)
    updates = [card_text(u.cards[0]) for u in desk.connector.updates()]
    assert any("of 4 customers checked" in text for text in updates[:-1]), updates
    assert "Service health across all customers" in updates[-1]


async def test_a_failing_tenant_does_not_fail_the_sweep(desk, triage_channel, technician):
    desk.runtime.emulator.state.inject(
        Fault("/graph/v1.0/admin/serviceAnnouncement/issues", status=400, times=-1, tenant=demo.FABRIKAM.tenant_id)
    )
    await desk.send(triage_channel.message(technician, "health all"))
    await settle(desk)
    final = card_text(desk.connector.updates()[-1].cards[0])
    assert "Could not read" in final and "Fabrikam, Inc." in final
    assert "EX987654" in final and "Northwind Traders" in final


async def test_sweep_reads_every_one_of_hundreds_of_tenants(tmp_path, connector, triage_channel, technician):
    # How long it takes is measured by `python -m bench.health` (no timed tests).
    desk = await start_desk(local_settings(tmp_path, connector), connector)
    try:
        many = tuple(
            demo.DemoTenant(f"00000000-0000-4000-8000-{n:012d}", f"Customer {n:03d}", f"customer{n}.onmicrosoft.com")
            for n in range(300)
        )
        desk.runtime.emulator.state.customers = many
        customers = await desk.runtime.services.customers.all()
        assert len(customers) == 300
        sweep = await desk.runtime.services.health.sweep(customers)
        assert len(sweep.tenants) == 300 and not sweep.unreadable
    finally:
        await desk.close()


async def test_customer_sees_only_their_own_tenant(desk, customer_chat):
    await desk.send(customer_chat.message("service status"))
    text = card_text(desk.connector.posts(customer_chat.conversation_id)[-1].cards[0])
    assert "Exchange Online" in text and "Microsoft is reporting problems" in text
    assert "TM123456" not in text and "meeting recordings" not in text, "Northwind's advisory is not Fabrikam's"
    graph_calls = desk.runtime.emulator.state.requests("/graph/")
    assert {seen.tenant for seen in graph_calls} == {demo.FABRIKAM.tenant_id}


async def test_healthy_customer_is_told_all_is_well(desk, connector):
    patti = Chat(user(demo.ADVENTURE_WORKS, 0), connector.url)
    await desk.send(patti.message("service status"))
    assert "running normally" in card_text(connector.posts(patti.conversation_id)[-1].cards[0])


async def test_ticket_for_a_service_with_an_incident_is_linked(desk, customer_chat, triage_channel, technician):
    await set_triage_channel(desk, triage_channel, technician)
    number = await raise_ticket(desk, customer_chat, service="Outlook", title="Can't send mail")
    await settle(desk)
    told = [s.text for s in desk.connector.posts(customer_chat.conversation_id) if "EX987654" in s.text]
    assert len(told) == 1 and "Microsoft is already working on an incident" in told[0]
    ticket = await ticket_row(desk, number)
    card = [u for u in desk.connector.updates() if u.activity_id == ticket["triage_activity_id"]][-1]
    assert "Related Microsoft incident" in card_text(card.cards[0]) and "EX987654" in card_text(card.cards[0])
    assert await rows(desk, "SELECT incident_id FROM ticket_incidents") == [{"incident_id": "EX987654"}]


async def test_ticket_for_an_unaffected_service_is_not_linked(desk, customer_chat):
    await raise_ticket(desk, customer_chat, service="SharePoint Online", title="Site is slow")
    await settle(desk)
    assert await rows(desk, "SELECT * FROM ticket_incidents") == []
    assert not [s for s in desk.connector.posts(customer_chat.conversation_id) if "EX987654" in s.text]


async def test_monitor_posts_each_incident_once_and_updates_it(desk, triage_channel, technician):
    await set_triage_channel(desk, triage_channel, technician)
    services = desk.runtime.services
    assert await monitor_round(services) == 2
    await desk.delivered()
    threads = [s for s in desk.connector.sent if s.path == "/v3/conversations"]
    posted = {card_text(s.cards[0]).split("\n")[2]: s for s in threads}
    assert len(threads) == 2
    ex = next(s for s in threads if "EX987654" in card_text(s.cards[0]))
    assert "Fabrikam, Inc., Northwind Traders" in card_text(ex.cards[0]), posted.keys()

    assert await monitor_round(services) == 0, "nothing new, nothing posted"
    state = desk.runtime.emulator.state
    state.add_post("EX987654", "<p>We've deployed a fix and are monitoring.</p>", status="VerifyingService")
    assert await monitor_round(services) == 1
    await desk.delivered()
    card_id = (await rows(desk, "SELECT activity_id FROM posted_cards WHERE key = 'incident:EX987654'"))[0]
    update = desk.connector.updates()[-1]
    assert update.activity_id == card_id["activity_id"]
    assert "We've deployed a fix" in card_text(update.cards[0])

    state.resolve_issue("EX987654")
    assert await monitor_round(services) == 1
    await desk.delivered()
    assert "Resolved" in card_text(desk.connector.updates()[-1].cards[0])
    assert len([s for s in desk.connector.sent if s.path == "/v3/conversations"]) == 2, "never re-posted"


async def test_monitor_state_survives_restart_and_a_second_instance_does_not_post(
    tmp_path, connector, triage_channel, technician
):
    settings = local_settings(tmp_path, connector)
    first = await start_desk(settings, connector)
    await set_triage_channel(first, triage_channel, technician)
    assert await monitor_round(first.runtime.services) == 2
    await first.delivered()
    await first.close()

    second = await start_desk(settings, connector)
    try:
        services = second.runtime.services
        await monitor_round(services)  # the restarted emulator's demo times moved: updates are fine
        await second.delivered()
        threads = [s for s in connector.sent if s.path == "/v3/conversations"]
        assert len(threads) == 2, "known incidents are not posted again after a restart"
        one = Periodic("health-monitor-test", 300, lambda: monitor_round(services), services.desk, holder="a")
        other = Periodic("health-monitor-test", 300, lambda: monitor_round(services), services.desk, holder="b")
        assert await one.tick() is True
        assert await other.tick() is False, "only the lease holder polls"
    finally:
        await second.close()


async def test_monitor_needs_a_triage_channel(desk):
    assert await monitor_round(desk.runtime.services) == 0
    assert desk.connector.sent == []


def test_demo_times_are_recent():
    """The emulator's demo incidents are relative to its start, so local mode looks current."""
    from emulator.state import EmulatorState

    state = EmulatorState()
    issue = state.issues["EX987654"]
    assert (datetime.now(UTC) - issue.start).total_seconds() < 6 * 3600
