"""`roll out <customer> [all|group <name>|<e-mail>...]` (technicians, issue 16): check the customer can be reached
(GDAP role, the app's Graph permissions, the desk's app in the customer's org catalog), find the chosen people in the
customer's directory, store a proposed roll-out and show a confirmation card naming exactly what will happen.
Confirm starts it (bot/jobs/rollout.py installs, desk/rollout_service.py); Cancel discards it. Each refusal says
why and changes nothing."""

from __future__ import annotations

import logging

from bot.features.health import one_customer
from bot.turns.actions import ActionResult, ActionRouter, CardAction
from bot.turns.commands import CommandRouter
from bot.turns.conversations import CHANNEL, GROUP, PERSONAL, conversation_key, record_of
from bot.turns.turn import Turn
from cards.render import card_message
from cards.rollout import CANCEL, CONFIRM, cancelled_card, confirm_card, progress_card
from desk.customers import Customer
from desk.gdap import role_name
from desk.i18n import Translator
from desk.outbox import Operation, Outgoing
from desk.people import Role
from desk.rollout_rules import ALL, TEAMS_ADMINISTRATOR, Choice, parse_choice, rollout_allowed
from desk.rollout_rules import GROUP as GROUP_CHOICE
from desk.store.rollouts import PROPOSED, Counts, Rollout, Target
from msapi.directory import DirectoryUser
from msapi.errors import ConsentMissing, MicrosoftApiError

logger = logging.getLogger(__name__)
TECHNICIANS = (Role.TECHNICIAN,)
ANYWHERE = (PERSONAL, CHANNEL, GROUP)


class Refusal(Exception):
    """Why the roll-out cannot be proposed, in the reader's words."""


def register(commands: CommandRouter, actions: ActionRouter) -> None:
    """Register `roll out` and its Confirm and Cancel buttons."""
    usage = "fabrikam [all | group Sales | megan@fabrikam.com ...]"
    commands.add("roll out", roll_out, roles=TECHNICIANS, scopes=ANYWHERE, help_key="command.rollout", usage=usage)
    actions.add(CONFIRM, confirm, roles=TECHNICIANS)
    actions.add(CANCEL, cancel, roles=TECHNICIANS)


async def roll_out(turn: Turn, args: str) -> None:
    """Propose a roll-out and show what Confirm will do."""
    choice = parse_choice(args)
    customer = await one_customer(turn, choice.customer)
    if customer is None:
        return  # one_customer said why
    try:
        app_id = await _preflight(turn, customer)
        people = await _people(turn, customer, choice)
        if people and turn.services.teams_apps is not None:
            # A real call with the install permission (the list of a user's apps needs the same one here): a
            # missing grant is named now, not as 500 failures later.
            await turn.services.teams_apps.installation(customer.tenant_id, people[0].id, app_id)
    except Refusal as refusal:
        await turn.say(str(refusal))
        return
    except ConsentMissing as error:
        await turn.say(turn.t("rollout.permission_missing", customer=customer.name, permission=error.permission))
        return
    except MicrosoftApiError as error:
        logger.warning("roll-out for %s: Graph could not be read: %s", customer.name, error)
        await turn.say(turn.t("rollout.unavailable", customer=customer.name))
        return
    if not people:
        await turn.say(turn.t("rollout.nobody", customer=customer.name))
        return
    target = _target(turn, choice)
    desk = turn.services.desk
    # The progress card goes to this conversation through the outbox, which sends only to stored references: a
    # channel other than the triage channel is stored nowhere else (as `health all` does for its progress card).
    await desk.save_conversation(record_of(turn.activity))
    key = conversation_key(turn.activity)
    targets = [Target(user.id, user.display_name or user.mail or user.id) for user in people]
    rollout_id = await desk.propose_rollout(
        customer.tenant_id, customer.name, target, turn.person.aad_id, key, turn.activity.locale, targets
    )
    logger.info(
        "roll-out %s proposed for %s: %d people (catalog app %s)", rollout_id, customer.name, len(people), app_id
    )
    rollout = await desk.rollout(rollout_id)
    assert rollout is not None
    await turn.show(confirm_card(turn.t, rollout, [t.name for t in targets]))


async def _preflight(turn: Turn, customer: Customer) -> str:
    """The GDAP role and the desk's app in the org catalog; the catalog id of the app (Refusal otherwise)."""
    gdap = turn.services.gdap
    if gdap is not None:
        try:
            relationships = await gdap.relationships()
        except MicrosoftApiError as error:  # as the SR pre-flight: an unreadable list does not block
            logger.warning("roll-out GDAP check for %s skipped (relationships unreadable): %s", customer.name, error)
        else:
            if not rollout_allowed(relationships, customer.tenant_id, turn.services.clock()):
                role = role_name(TEAMS_ADMINISTRATOR)
                raise Refusal(turn.t("rollout.no_role", customer=customer.name, role=role))
    apps = turn.services.teams_apps
    if apps is None:
        raise Refusal(turn.t("rollout.unavailable", customer=customer.name))
    manifest_id = turn.services.settings.teams_manifest_id
    found = await apps.find_in_catalog(customer.tenant_id, manifest_id)
    if found is None:
        raise Refusal(turn.t("rollout.not_in_catalog", customer=customer.name))
    return found.id


async def _people(turn: Turn, customer: Customer, choice: Choice) -> list[DirectoryUser]:
    """The enabled people chosen (a disabled account cannot use Teams); Refusal naming what was not found."""
    directory = turn.services.directory
    if directory is None:
        raise Refusal(turn.t("rollout.unavailable", customer=customer.name))
    tenant = customer.tenant_id
    if choice.kind == ALL:
        found = await directory.all_users(tenant)
    elif choice.kind == GROUP_CHOICE:
        if not choice.group:
            raise Refusal(turn.t("rollout.which_group"))
        groups = await directory.groups_named(tenant, choice.group)
        if not groups:
            raise Refusal(turn.t("rollout.no_group", group=choice.group, customer=customer.name))
        found = [user for group in groups for user in await directory.group_users(tenant, group.id)]
    else:
        found = await directory.users_by_address(tenant, list(choice.addresses))
        known = {a.lower() for user in found for a in (user.mail, user.user_principal_name) if a}
        unknown = [a for a in choice.addresses if a not in known]
        if unknown:
            raise Refusal(turn.t("rollout.no_person", addresses=", ".join(unknown), customer=customer.name))
    unique = {user.id: user for user in found if user.account_enabled and user.id}
    return sorted(unique.values(), key=lambda user: (user.display_name.lower(), user.id))


def _target(turn: Turn, choice: Choice) -> str:
    if choice.kind == ALL:
        return turn.t("rollout.target_all")
    if choice.kind == GROUP_CHOICE:
        return turn.t("rollout.target_group", group=choice.group)
    return turn.t("rollout.target_people")


async def confirm(turn: Turn, action: CardAction) -> ActionResult:
    """Start the roll-out: its progress card goes to this conversation and the job installs."""
    rollout = await _proposed(turn, action)
    if isinstance(rollout, ActionResult):
        return rollout
    apps = turn.services.teams_apps
    if apps is None:
        return ActionResult(message=turn.t("rollout.unavailable", customer=rollout.customer_name), refused=True)
    manifest_id = turn.services.settings.teams_manifest_id
    try:  # the catalog id is read again: the app may have been removed since the card was shown
        found = await apps.find_in_catalog(rollout.tenant_id, manifest_id)
    except MicrosoftApiError as error:
        logger.warning("roll-out %s: catalog unreadable at confirm: %s", rollout.id, error)
        return ActionResult(message=turn.t("rollout.unavailable", customer=rollout.customer_name), refused=True)
    if found is None:
        return ActionResult(message=turn.t("rollout.not_in_catalog", customer=rollout.customer_name), refused=True)
    people = await turn.services.desk.rollout_people(rollout.id)
    first = progress_outgoing(Translator(rollout.locale), rollout, Counts(len(people), 0, 0, 0, ()), False)
    if not await turn.services.desk.start_rollout(rollout.id, found.id, first):
        return ActionResult(message=turn.t("rollout.gone"), refused=True)
    logger.info("roll-out %s confirmed by %s", rollout.id, turn.person.aad_id)
    return ActionResult(message=turn.t("rollout.started", customer=rollout.customer_name, count=len(people)))


async def cancel(turn: Turn, action: CardAction) -> ActionResult:
    """Discard a proposed roll-out: nothing is installed."""
    rollout = await _proposed(turn, action)
    if isinstance(rollout, ActionResult):
        return rollout
    if not await turn.services.desk.cancel_rollout(rollout.id):
        return ActionResult(message=turn.t("rollout.gone"), refused=True)
    return ActionResult(card=cancelled_card(turn.t, rollout))


async def _proposed(turn: Turn, action: CardAction) -> Rollout | ActionResult:
    rollout = await turn.services.desk.rollout(int(action.target)) if action.target.isdigit() else None
    if rollout is None:
        return ActionResult(message=turn.t("rollout.gone"), refused=True)
    if rollout.state != PROPOSED:
        return ActionResult(message=turn.t("rollout.gone"), refused=True)
    return rollout


def progress_outgoing(t: Translator, rollout: Rollout, counts: Counts, final: bool) -> Outgoing:
    """The progress card as one card updated in place (its card key is the roll-out's)."""
    card = progress_card(t, rollout, counts, final)
    return Outgoing(rollout.conversation_key, Operation.POST, card_message(card), card_key=f"rollout:{rollout.id}")
