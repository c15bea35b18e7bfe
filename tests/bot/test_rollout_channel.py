"""A roll-out proposed in a channel that is not the triage channel (the team's General channel): Confirm posts the
progress card to that channel and the job updates it there, though nothing else ever stored that channel."""

from __future__ import annotations

from pathlib import Path

from bot.jobs.rollout import rollout_rounds
from cards.rollout import CONFIRM
from emulator import demo
from tests.bot.helpers import card_text, rows
from tests.bot.test_rollout import all_delivered, fake_sleep, in_roster, start_rollout_desk, verbs
from tests.support.activities import Channel, user
from tests.support.connector import LocalConnector

GENERAL = "19:team-support@thread.tacv2"  # a team's General channel has the team's id


async def test_a_rollout_from_another_channel_gets_its_progress_card_there(
    tmp_path: Path, connector: LocalConnector
) -> None:
    desk, events = await start_rollout_desk(tmp_path, connector)
    general = Channel(GENERAL, GENERAL, connector.url)
    technician = user(demo.PARTNER, 0)
    state = desk.runtime.emulator.state
    try:
        in_roster(connector, state.teams.users[demo.FABRIKAM.tenant_id])
        await desk.send(general.message(technician, "roll out fabrikam group Fabrikam Finance"))
        await desk.delivered()
        [shown] = [p for p in connector.posts(GENERAL) if p.cards]
        assert "5 people of Fabrikam" in card_text(shown.cards[0])

        status, _ = await desk.send(general.invoke(technician, CONFIRM, verbs(shown.cards[0])[CONFIRM]))
        assert status == 200
        await desk.delivered()
        [counts] = await rollout_rounds(desk.runtime.services, fake_sleep)
        await all_delivered(events, 5)  # the welcomes are sent before the desk stops
        await desk.delivered()

        assert counts is not None and counts.installed == 5
        progress = [p for p in connector.posts(GENERAL) if p.cards and "Rolling the desk out" in card_text(p.cards[0])]
        assert len(progress) == 1, "the progress card is posted to the channel the roll-out was proposed in"
        [final] = [u for u in connector.updates() if u.cards and u.activity_id == progress[0].response_id][-1:]
        assert "finished: 5 people" in card_text(final.cards[0])
        assert await rows(desk, "SELECT key FROM conversations WHERE key = ?", (GENERAL,))
    finally:
        await desk.close()
