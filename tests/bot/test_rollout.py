"""Roll-out in the bot (issue 16): the install event (`conversationUpdate` with membersAdded holding the bot, in a
personal scope — emulator/bot_events.py) greets a person once across redeliveries and restarts, and keeps the chat's
reference."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from bot.jobs.rollout import rollout_rounds
from cards.rollout import CANCEL, CONFIRM
from desk.rollout_service import Pace
from emulator import demo
from emulator.bot_events import personal_install_activity
from emulator.demo_directory import DESK_MANIFEST_ID, DirectoryUser
from emulator.install_events import InstallEvents
from msapi.retry import RetryPolicy
from msapi.teams_apps import TeamsAppsClient
from msapi.throttle import ThrottleGate
from tests.bot.helpers import card_text, rows
from tests.support.activities import BOT_ID, BOT_NAME, Chat, user
from tests.support.connector import LocalConnector, Sent
from tests.support.harness import Desk, local_settings, start_desk

SALES_GROUP = "5a1d7c3e-0b2f-4e6a-9d8c-1f2e3d4c5b02"


def install_event(chat: Chat) -> dict[str, object]:
    """What Teams sends after the app is installed for the chat's person (a fresh activity id each time)."""
    sender = chat.sender
    event = personal_install_activity(
        bot_id=BOT_ID.removeprefix("28:"),
        bot_name=BOT_NAME,
        tenant_id=sender.tenant_id,
        user_aad_id=sender.aad_id,
        user_name=sender.name,
        service_url=chat.service_url,
        conversation_id=chat.conversation_id,
    )
    event["from"] = {"id": sender.user_id, "name": sender.name, "aadObjectId": sender.aad_id}
    return event


async def test_install_event_welcomes_once_across_redelivery_and_restart(
    tmp_path: Path, connector: LocalConnector, customer_chat: Chat
) -> None:
    settings = local_settings(tmp_path, connector)
    desk = await start_desk(settings, connector)
    try:
        await desk.send(install_event(customer_chat))
        await desk.send(install_event(customer_chat))  # Teams redelivers, or the app is reinstalled
        await desk.delivered()
        welcomes = [p for p in connector.posts(customer_chat.conversation_id) if p.cards]
        assert len(welcomes) == 1
        assert "Contoso Cloud Services" in card_text(welcomes[0].cards[0])
        saved = await rows(desk, "SELECT key FROM conversations WHERE key = ?", (customer_chat.conversation_id,))
        assert saved, "the chat's reference is kept for later messages"
    finally:
        await desk.close()
    again = await start_desk(settings, connector)  # a restart: the record is in the database
    try:
        await again.send(install_event(customer_chat))
        await again.delivered()
    finally:
        await again.close()
    assert len([p for p in connector.posts(customer_chat.conversation_id) if p.cards]) == 1


# --- roll out, end to end with the emulator's Graph and its install events --------------------------------------


async def fake_sleep(seconds: float) -> None:
    """The job's pace, without waiting (no timed tests)."""


async def start_rollout_desk(tmp_path: Path, connector: LocalConnector) -> tuple[Desk, InstallEvents]:
    desk = await start_desk(local_settings(tmp_path, connector, TEAMS_APP_ID=DESK_MANIFEST_ID), connector)
    events = InstallEvents(str(desk.client.make_url("/api/messages")), connector.url, BOT_ID.removeprefix("28:"))
    desk.runtime.emulator.state.install_events = events
    return desk, events


async def ask(desk: Desk, chat: Chat, text: str) -> list[Sent]:
    before = len(desk.connector.posts(chat.conversation_id))
    await desk.send(chat.message(text))
    await desk.delivered()
    return desk.connector.posts(chat.conversation_id)[before:]


def verbs(card: dict[str, Any]) -> dict[str, str]:
    return {a["verb"]: a["data"]["id"] for a in card.get("actions", [])}


async def all_delivered(events: InstallEvents, count: int) -> None:
    """Wait (bounded) until the emulator's install events reached the bot: they are sent from its own thread."""
    async with asyncio.timeout(30):
        while len(events.sent) < count:  # noqa: ASYNC110 - counted on the emulator's own loop, in another thread
            await asyncio.sleep(0.02)


def in_roster(connector: LocalConnector, people: list[DirectoryUser]) -> None:
    """Teams knows them (the bot looks members up in the roster)."""
    for person in people:
        connector.members[f"29:{person.id}"] = {
            "id": f"29:{person.id}",
            "name": person.display_name,
            "aadObjectId": person.id,
            "email": person.mail,
            "userPrincipalName": person.user_principal_name,
            "tenantId": demo.FABRIKAM.tenant_id,
        }


async def test_group_rollout_reaches_only_the_group_nested_included_and_welcomes_each_once(
    tmp_path: Path, connector: LocalConnector
) -> None:
    desk, events = await start_rollout_desk(tmp_path, connector)
    tech = Chat(user(demo.PARTNER, 0), connector.url)
    state = desk.runtime.emulator.state
    try:
        fabrikam = state.teams.users[demo.FABRIKAM.tenant_id]
        sales = {u.id for u in state.teams.transitive_users(demo.FABRIKAM.tenant_id, SALES_GROUP) or []}
        assert len(sales) == 4 and fabrikam[9].id in sales, "one of them through the nested Sales Leads"
        in_roster(connector, fabrikam)
        [shown] = await ask(desk, tech, "roll out fabrikam group Fabrikam Sales")
        text = card_text(shown.cards[0])
        assert "4 people of Fabrikam" in text and "personal scope" in text and "welcome card" in text
        ids = verbs(shown.cards[0])
        await desk.send(tech.invoke(CONFIRM, ids[CONFIRM]))
        await rollout_rounds(desk.runtime.services, fake_sleep)
        await all_delivered(events, 4)
        await desk.delivered()
        installed = [user_id for tenant, user_id, _ in state.teams.installs]
        assert sorted(installed) == sorted(sales), "only the group's people, each once"
        welcomed = await rows(desk, "SELECT user_id FROM welcomes")
        assert sorted(r["user_id"] for r in welcomed) == sorted(sales)
        for user_id in sales:
            cards = [p for p in connector.posts(f"a:personal-{user_id}") if p.cards]
            assert len(cards) == 1, user_id
        posted = [p for p in connector.posts(tech.conversation_id) if p.cards][-1]
        assert "Rolling the desk out to Fabrikam" in card_text(posted.cards[0]), "the progress card, posted at Confirm"
        [final] = [u for u in connector.updates() if u.cards and u.activity_id == posted.response_id][-1:]
        assert "finished: 4 people" in card_text(final.cards[0]) and "Installed\n4" in card_text(final.cards[0])
        # The same roll-out again: everyone already has the app, nobody is installed for or greeted twice.
        [again] = await ask(desk, tech, "roll out fabrikam group Fabrikam Sales")
        await desk.send(tech.invoke(CONFIRM, verbs(again.cards[0])[CONFIRM]))
        counts = await rollout_rounds(desk.runtime.services, fake_sleep)
        assert counts[0] is not None and counts[0].skipped == 4 and counts[0].installed == 0
        assert len(state.teams.installs) == 4
    finally:
        await desk.close()


async def test_cancel_installs_nothing(tmp_path: Path, connector: LocalConnector) -> None:
    desk, _ = await start_rollout_desk(tmp_path, connector)
    tech = Chat(user(demo.PARTNER, 0), connector.url)
    try:
        [shown] = await ask(desk, tech, "roll out fabrikam all")
        ids = verbs(shown.cards[0])
        status, _ = await desk.send(tech.invoke(CANCEL, ids[CANCEL]))
        assert status == 200
        await desk.send(tech.invoke(CONFIRM, ids[CONFIRM]))  # a Confirm after Cancel changes nothing
        assert await rollout_rounds(desk.runtime.services, fake_sleep) == []
        assert desk.runtime.emulator.state.teams.installs == []
        [row] = await rows(desk, "SELECT state FROM rollouts")
        assert row["state"] == "cancelled"
    finally:
        await desk.close()


async def test_a_customer_without_the_teams_administrator_role_is_refused_with_the_role_named(
    tmp_path: Path, connector: LocalConnector
) -> None:
    desk, _ = await start_rollout_desk(tmp_path, connector)
    tech = Chat(user(demo.PARTNER, 0), connector.url)
    try:
        [told] = await ask(desk, tech, "roll out adventure works all")
        assert "lacks the Teams Administrator role" in (told.text or "")
        assert await rows(desk, "SELECT id FROM rollouts") == []
    finally:
        await desk.close()


async def test_unknown_group_address_and_missing_catalog_app_are_refused(
    tmp_path: Path, connector: LocalConnector
) -> None:
    desk, _ = await start_rollout_desk(tmp_path, connector)
    tech = Chat(user(demo.PARTNER, 0), connector.url)
    state = desk.runtime.emulator.state
    try:
        [told] = await ask(desk, tech, "roll out fabrikam group Nobody Here")
        assert "no group named Nobody Here" in (told.text or "")
        [told] = await ask(desk, tech, "roll out fabrikam nobody@fabrikam.example megan@" + demo.FABRIKAM.domain)
        assert "nobody@fabrikam.example" in (told.text or "") and "megan@" not in (told.text or "").split(":")[-1]
        state.teams.catalogs[demo.FABRIKAM.tenant_id] = []
        [told] = await ask(desk, tech, "roll out fabrikam all")
        assert "not in the org app catalog of Fabrikam" in (told.text or "") and "Teams admin center" in (
            told.text or ""
        )
        assert "signed-in admin" in (told.text or "")
        assert await rows(desk, "SELECT id FROM rollouts") == []
    finally:
        await desk.close()


class FakeTime:
    """One clock for the emulator's Teams pace, the client's waits and the job's pace: sleeping moves it."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps = 0
        self.stop_after: int | None = None

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps += 1
        self.now += max(seconds, 0.0)
        if self.stop_after is not None and self.sleeps >= self.stop_after:
            self.stop_after = None
            raise asyncio.CancelledError  # the process stops in the middle of the roll-out


async def test_500_people_with_429s_and_a_restart_each_installed_once_and_welcomed_once(
    tmp_path: Path, connector: LocalConnector
) -> None:
    desk, events = await start_rollout_desk(tmp_path, connector)
    tech = Chat(user(demo.PARTNER, 0), connector.url)
    state = desk.runtime.emulator.state
    time = FakeTime()
    try:
        people = state.teams.add_users(demo.FABRIKAM.tenant_id, 500, demo.FABRIKAM.domain, group="Everyone 500")
        in_roster(connector, people)
        state.teams.monotonic = time.monotonic  # Graph's 30 per second per tenant, on the test's clock
        services = desk.runtime.services
        old = services.teams_apps
        assert old is not None
        services.teams_apps = TeamsAppsClient(
            old._http, old._tokens, old.base_url, old._scope, gate=ThrottleGate(time.monotonic, time.sleep),
            sleep=time.sleep, policy=RetryPolicy(attempts=2),
        )  # fmt: skip
        [shown] = await ask(desk, tech, "roll out fabrikam group Everyone 500")
        assert "500 people of Fabrikam" in card_text(shown.cards[0]) and "and 495 more" in card_text(shown.cards[0])
        await desk.send(tech.invoke(CONFIRM, verbs(shown.cards[0])[CONFIRM]))
        too_fast = Pace(per_second=50.0)  # faster than Graph allows: the emulator answers 429s with Retry-After
        time.stop_after = 400
        with pytest.raises(asyncio.CancelledError):
            await rollout_rounds(services, time.sleep, too_fast)
        halfway = len(state.teams.installs)
        assert 0 < halfway < 500, "stopped in the middle"
        [counts] = await rollout_rounds(services, time.sleep, too_fast)  # the restarted job resumes
        throttled = [r for r in state.requests("/graph/v1.0/users/", "POST") if r.status == 429]
        await all_delivered(events, 500)
        await desk.delivered()
        assert counts is not None and counts.failed == 0 and counts.installed + counts.skipped == 500
        installs = [user_id for _, user_id, _ in state.teams.installs]
        assert len(installs) == 500 and set(installs) == {p.id for p in people}, "each installed once"
        welcomed = await rows(desk, "SELECT user_id FROM welcomes")
        assert len(welcomed) == 500
        chats = {f"a:personal-{p.id}" for p in people}
        greeted = [p for p in connector.posts("a:personal-") if p.cards and p.conversation_id in chats]
        assert len(greeted) == 500 and len({p.conversation_id for p in greeted}) == 500, "each welcomed once"
        assert throttled, "Graph's pace was met with 429s"
    finally:
        await desk.close()


@pytest.mark.parametrize(
    ("permission", "command"),
    [
        ("TeamsAppInstallation.ReadWriteSelfForUser.All", "roll out fabrikam all"),
        ("GroupMember.Read.All", "roll out fabrikam group Fabrikam Sales"),
        ("User.Read.All", "roll out fabrikam all"),
        ("AppCatalog.Read.All", "roll out fabrikam all"),
    ],
)
async def test_missing_consent_is_refused_with_the_permission_named(
    tmp_path: Path, connector: LocalConnector, permission: str, command: str
) -> None:
    desk, _ = await start_rollout_desk(tmp_path, connector)
    tech = Chat(user(demo.PARTNER, 0), connector.url)
    state = desk.runtime.emulator.state
    try:
        state.graph_permissions_missing[demo.FABRIKAM.tenant_id] = {permission}
        [told] = await ask(desk, tech, command)
        assert f"lacks the Graph permission {permission}" in (told.text or "")
        assert await rows(desk, "SELECT id FROM rollouts") == []
        assert state.teams.installs == []
    finally:
        await desk.close()
