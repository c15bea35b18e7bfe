"""`readiness <customer>` end to end over HTTP with the emulator: each checklist line ok and each failure with its fix
text (the emulator withdraws permissions, removes the desk's app from the catalog, ends a GDAP relationship), the
Readiness buttons of the `admin` and `customers` cards, and `customers` showing the stored states and their counts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from emulator import demo
from emulator.demo_directory import FABRIKAM_DESK_APP_ID
from emulator.gdap_book import GLOBAL_READER, SERVICE_SUPPORT_ADMINISTRATOR, GdapRelationship
from emulator.state import Fault
from tests.bot.helpers import card_text, rows
from tests.support.harness import FixedClock, local_settings, start_desk

T0 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
TEAMS_ADMINISTRATOR = "69091246-20e8-4a56-aa4d-066075b2a7a8"
ALL_ROLES = (SERVICE_SUPPORT_ADMINISTRATOR, GLOBAL_READER, TEAMS_ADMINISTRATOR)
MEGAN = demo.FABRIKAM.users[0].aad_id


def relationship(rid, customer, ends=timedelta(days=300), roles=ALL_ROLES, **kw) -> GdapRelationship:
    end = T0 + ends
    status = kw.pop("status", "active")
    return GdapRelationship(
        rid, f"{customer.name} ({rid})", customer, roles, status, end - timedelta(days=400), end - timedelta(days=365),
        end, **kw,
    )  # fmt: skip


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


@pytest.fixture
async def ready_desk(tmp_path, connector, clock):
    running = await start_desk(local_settings(tmp_path, connector), connector, clock)
    running.runtime.emulator.state.gdap.replace_all(
        [relationship("fab-1", demo.FABRIKAM, auto_extend="P180D"), relationship("nw-1", demo.NORTHWIND)]
    )
    # Megan Bowen added the desk herself (the demo directory has nobody with it: emulator/demo_directory.py).
    running.runtime.emulator.state.teams.preinstall(demo.FABRIKAM.tenant_id, MEGAN, FABRIKAM_DESK_APP_ID)
    yield running
    await running.close()


async def readiness(desk, channel, technician, name="fabrikam") -> str:
    await desk.send(channel.message(technician, f"readiness {name}"))
    card = desk.connector.posts(channel.channel_id)[-1].cards[0]
    return card_text(card)


def lines(text: str) -> list[str]:
    """The card's checklist lines and fixes, in order."""
    return [line for line in text.split("\n") if line[:1] in "✅⚠❌❔" or line.startswith("Fix: ")]


def line_with(text: str, words: str) -> str:
    found = [line for line in lines(text) if words in line]
    assert found, f"no line with {words!r} in {lines(text)}"
    return found[0]


def fix_after(text: str, words: str) -> str:
    """The fix printed right after the line holding `words`."""
    listed = lines(text)
    index = listed.index(line_with(text, words))
    assert listed[index + 1].startswith("Fix: "), listed
    return listed[index + 1]


async def test_a_ready_customer_has_every_line_ok_and_its_state_stored(
    ready_desk, triage_channel, technician, customer_chat
):
    await ready_desk.send(customer_chat.message("hello"))  # Megan talks to the bot

    text = await readiness(ready_desk, triage_channel, technician)

    assert "Readiness · Fabrikam, Inc.: ready" in text
    assert all(line.startswith("✅ OK: ") for line in lines(text)), lines(text)
    assert "Fabrikam, Inc. is in your Partner Center customer list." in text
    assert "You are the customer's reseller (direct)." in text
    assert "is active until 2027-09-20 and auto-extends" in text
    assert "Its roles cover service health, support requests and the Teams roll-out." in text
    assert "All 6 Graph application permissions the desk needs are granted." in text
    assert "A real call works: the customer's service health was read." in text
    assert '"Partner Desk" is in the customer\'s org app catalog.' in text
    assert "1 of the customer's 12 people has the desk installed." in text
    assert "1 person has talked to the desk in a personal chat." in text
    stored = await rows(ready_desk, "SELECT tenant_id, state FROM readiness")
    assert stored == [{"tenant_id": demo.FABRIKAM.tenant_id, "state": "ready"}]


async def test_an_indirect_reseller_customer_is_named(ready_desk, triage_channel, technician):
    text = await readiness(ready_desk, triage_channel, technician, "northwind")

    assert "You serve the customer through indirect reseller 5b2c1f0e-3d4a-4e8b-9c7d-6a5f4e3d2c1b." in text


async def test_no_gdap_relationship_blocks_with_the_request_to_make(ready_desk, triage_channel, technician):
    ready_desk.runtime.emulator.state.gdap.replace_all([relationship("nw-1", demo.NORTHWIND)])

    text = await readiness(ready_desk, triage_channel, technician)

    assert "Readiness · Fabrikam, Inc.: blocked" in text
    assert line_with(text, "There is no GDAP relationship with this customer.").startswith("❌ Failed")
    assert "Create a GDAP relationship request in Partner Center" in fix_after(text, "no GDAP relationship")


async def test_an_ended_gdap_relationship_blocks(ready_desk, triage_channel, technician):
    ended = relationship("fab-1", demo.FABRIKAM, timedelta(days=-3), status="expired")
    ready_desk.runtime.emulator.state.gdap.replace_all([ended])

    text = await readiness(ready_desk, triage_channel, technician)

    assert "Readiness · Fabrikam, Inc.: blocked" in text
    assert line_with(text, "has ended").startswith("❌ Failed")
    assert "have the customer's Global Administrator approve it" in fix_after(text, "has ended")


async def test_a_relationship_ending_soon_without_auto_extend_warns(ready_desk, triage_channel, technician):
    ready_desk.runtime.emulator.state.gdap.replace_all([relationship("fab-1", demo.FABRIKAM, timedelta(days=10))])

    text = await readiness(ready_desk, triage_channel, technician)

    line = line_with(text, "ends on 2026-12-04 and does not auto-extend")
    assert line.startswith("⚠️ Warning")
    assert "Turn on auto-extend in Partner Center" in fix_after(text, "ends on")


async def test_roles_that_miss_support_and_teams_are_named(ready_desk, triage_channel, technician):
    ready_desk.runtime.emulator.state.gdap.replace_all(
        [relationship("fab-1", demo.FABRIKAM, roles=(GLOBAL_READER,), auto_extend="P180D")]
    )

    text = await readiness(ready_desk, triage_channel, technician)

    assert "Readiness · Fabrikam, Inc.: partial" in text
    assert line_with(text, "Its roles do not cover: support, teams.").startswith("⚠️ Warning")
    assert "adds Service Support Administrator, Teams Administrator" in fix_after(text, "do not cover")


async def test_gdap_unreadable_is_could_not_check(ready_desk, triage_channel, technician):
    path = "/graph/v1.0/tenantRelationships/delegatedAdminRelationships"
    ready_desk.runtime.emulator.state.inject(Fault(path, status=503, times=-1))

    text = await readiness(ready_desk, triage_channel, technician)

    assert line_with(text, "The GDAP relationships could not be read.").startswith("❔ Could not check")
    assert "Readiness · Fabrikam, Inc.: partial" in text


async def test_a_missing_permission_is_named_with_what_to_grant(ready_desk, triage_channel, technician):
    ready_desk.runtime.emulator.state.graph_permissions_missing[demo.FABRIKAM.tenant_id] = {"GroupMember.Read.All"}

    text = await readiness(ready_desk, triage_channel, technician)

    line = line_with(text, "Missing Graph application permissions: GroupMember.Read.All (finding a group's people).")
    assert line.startswith("❌ Failed")
    fix = fix_after(text, "Missing Graph application permissions")
    assert "Add GroupMember.Read.All (finding a group's people) to the app's API permissions" in fix
    assert f"https://login.microsoftonline.com/{demo.FABRIKAM.tenant_id}/adminconsent?client_id={demo.APP_ID}" in fix
    assert "Readiness · Fabrikam, Inc.: partial" in text


async def test_service_health_refused_by_a_real_call(ready_desk, triage_channel, technician):
    ready_desk.runtime.emulator.state.graph_permissions_missing[demo.FABRIKAM.tenant_id] = {"ServiceHealth.Read.All"}

    text = await readiness(ready_desk, triage_channel, technician)

    line = line_with(text, "A real call was refused: reading service health needs ServiceHealth.Read.All.")
    assert line.startswith("❌ Failed")
    assert "Add ServiceHealth.Read.All to the app's API permissions" in fix_after(text, "A real call was refused")


async def test_no_consent_at_all_blocks(ready_desk, triage_channel, technician):
    ready_desk.runtime.emulator.state.gdap.replace_all([relationship("ts-1", demo.TAILSPIN)])

    text = await readiness(ready_desk, triage_channel, technician, "tailspin")

    assert "Readiness · Tailspin Toys: blocked" in text
    line = line_with(text, "The desk's app is not consented in the customer's tenant at all.")
    assert line.startswith("❌ Failed")
    fix = fix_after(text, "not consented")
    assert f"https://login.microsoftonline.com/{demo.TAILSPIN.tenant_id}/adminconsent?client_id=" in fix


async def test_the_app_missing_from_the_catalog_says_how_to_publish(ready_desk, triage_channel, technician):
    ready_desk.runtime.emulator.state.teams.catalogs[demo.FABRIKAM.tenant_id] = []

    text = await readiness(ready_desk, triage_channel, technician)

    assert line_with(text, "is not in the customer's org app catalog.").startswith("❌ Failed")
    assert "Upload the desk's app package in the customer's Teams admin center" in fix_after(text, "is not in the")
    assert line_with(text, "Installations cannot be counted").startswith("❔ Could not check")


async def test_a_catalog_refused_is_cannot_tell_not_absent(ready_desk, triage_channel, technician):
    ready_desk.runtime.emulator.state.graph_permissions_missing[demo.FABRIKAM.tenant_id] = {"AppCatalog.Read.All"}

    text = await readiness(ready_desk, triage_channel, technician)

    line = line_with(text, "so it cannot be told whether the desk is there")
    assert line.startswith("❔ Could not check")
    assert "Grant AppCatalog.Read.All" in fix_after(text, "cannot be told")


async def test_nobody_installed_suggests_the_roll_out(ready_desk, triage_channel, technician):
    ready_desk.runtime.emulator.state.teams.installed.clear()

    text = await readiness(ready_desk, triage_channel, technician)

    assert line_with(text, "0 of the customer's 12 people have the desk installed.").startswith("⚠️ Warning")
    assert "roll out Fabrikam, Inc." in fix_after(text, "have the desk installed")
    assert line_with(text, "0 people have talked to the desk").startswith("⚠️ Warning")
    assert "Tell the people of Fabrikam, Inc. the desk is there" in fix_after(text, "have talked")


async def test_a_large_directory_is_counted_as_at_least(ready_desk, triage_channel, technician, monkeypatch):
    monkeypatch.setattr("desk.readiness_teams.SAMPLE", 5)

    text = await readiness(ready_desk, triage_channel, technician)

    assert "At least 1 person has the desk installed (the first 5 people checked)." in text


async def test_the_admin_card_has_a_readiness_button_that_checks_again(ready_desk, triage_channel, technician):
    await ready_desk.send(triage_channel.message(technician, "admin fabrikam"))
    card = ready_desk.connector.posts(triage_channel.channel_id)[-1].cards[0]
    buttons = [a for a in card["actions"] if a.get("verb") == "readiness.check"]
    assert [b["data"] for b in buttons] == [{"verb": "readiness.check", "id": demo.FABRIKAM.tenant_id}]

    status, body = await ready_desk.send(triage_channel.invoke(technician, "readiness.check", demo.FABRIKAM.tenant_id))

    assert status == 200
    assert "Readiness · Fabrikam, Inc.: partial" in card_text(body["value"])
    assert await rows(ready_desk, "SELECT state FROM readiness") == [{"state": "partial"}]


async def test_customers_are_refused_the_readiness_button(ready_desk, customer_chat):
    status, body = await ready_desk.send(customer_chat.invoke("readiness.check", demo.FABRIKAM.tenant_id))

    assert status == 200 and "Readiness" not in str(body.get("value"))
    assert await rows(ready_desk, "SELECT * FROM readiness") == []


async def test_a_button_for_a_tenant_that_never_was_a_customer_changes_nothing(ready_desk, triage_channel, technician):
    status, body = await ready_desk.send(triage_channel.invoke(technician, "readiness.check", demo.STRANGER.tenant_id))

    assert status == 200 and body["value"].startswith("No customer matches")
    assert await rows(ready_desk, "SELECT * FROM readiness") == []


async def test_customers_show_stored_states_counts_and_buttons(ready_desk, triage_channel, technician):
    async def customers() -> dict:
        await ready_desk.send(triage_channel.message(technician, "customers"))
        return ready_desk.connector.posts(triage_channel.channel_id)[-1].cards[0]

    before = card_text(await customers())
    assert "Ready 0 · partial 0 · blocked 0 · not checked 4" in before
    assert "Fabrikam, Inc. — 0 open tickets · not checked" in before

    await readiness(ready_desk, triage_channel, technician, "fabrikam")
    await readiness(ready_desk, triage_channel, technician, "tailspin")
    card = await customers()
    text = card_text(card)

    assert "Ready 0 · partial 1 · blocked 1 · not checked 2" in text
    assert "Fabrikam, Inc. — 0 open tickets · partial" in text and "Tailspin Toys — 0 open tickets · blocked" in text
    ids = [a["data"]["id"] for a in _actions(card) if a.get("verb") == "readiness.check"]
    assert len(ids) == 4 and demo.FABRIKAM.tenant_id in ids


def _actions(node):
    if isinstance(node, dict):
        if node.get("type") == "Action.Execute":
            yield node
        for value in node.values():
            yield from _actions(value)
    elif isinstance(node, list):
        for value in node:
            yield from _actions(value)
