"""The bot: resolves who is speaking, answers redeliveries of completed turns, then routes messages, commands and
card actions."""

from __future__ import annotations

import logging
from typing import Any

from botbuilder.core import ConversationState, InvokeResponse, MessageFactory, TurnContext
from botbuilder.core.teams import TeamsActivityHandler
from botbuilder.schema import ChannelAccount
from botbuilder.schema.teams import FileConsentCardResponse

from bot.edge.outgoing import SentJson
from bot.features import follow, report_files
from bot.features import help as help_feature
from bot.turns.actions import ActionResult, ActionRouter, CardAction, parse_action
from bot.turns.commands import CommandRouter
from bot.turns.conversations import PERSONAL, record_of, scope_of, text_without_bot_mention
from bot.turns.services import Services
from bot.turns.turn import Turn, card_activity
from cards.triage_actions import REFRESH_VERB
from desk.deliveries import ClaimState, Delivered, Delivery, decode_response
from desk.i18n import Translator
from desk.people import Person, Role
from desk.store.people import Technician
from msapi.errors import MicrosoftApiError

logger = logging.getLogger(__name__)
TURN_KEY = "desk.turn"
DELIVERY_KEY = "desk.delivery"
REFUSAL_KEY = "desk.refusal"  # what an invoke refused before its turn began is answered with
REDELIVERED_KEY = "desk.redelivered"
ANSWER_KEY = "desk.answer"
CARD_TYPE = "application/vnd.microsoft.card.adaptive"
MESSAGE_TYPE = "application/vnd.microsoft.activity.message"


class DeskBot(TeamsActivityHandler):
    """Routing only: features do the work."""

    def __init__(
        self,
        services: Services,
        commands: CommandRouter,
        actions: ActionRouter,
        conversation_state: ConversationState,
        holder: str,
    ) -> None:
        self._services = services
        self._commands = commands
        self._actions = actions
        self._state = conversation_state
        # This process, as the holder of the turns it claims (the name its heartbeat renews: desk/instances.py), and
        # the activities whose turns run here now: a claim of ours whose turn is not running any more died with its
        # turn (it is processed again).
        self._holder = holder
        self._running: set[str] = set()

    async def on_turn(self, turn_context: TurnContext) -> None:
        # Only a turn that completed makes the activity a duplicate: one that failed or died is processed again
        # when Teams redelivers it (the ticket changes it committed are recorded with them and not repeated).
        try:
            await super().on_turn(turn_context)
            await self._state.save_changes(turn_context)
            delivery: Delivery | None = turn_context.turn_state.get(DELIVERY_KEY)
            if delivery is not None:
                await self._services.desk.complete_delivery(delivery.key, turn_context.turn_state.get(ANSWER_KEY))
        except Exception:
            failed: Delivery | None = turn_context.turn_state.get(DELIVERY_KEY)
            if failed is not None:
                await self._services.desk.abandon_delivery(failed.key, self._holder)
            raise
        finally:
            claimed: Delivery | None = turn_context.turn_state.get(DELIVERY_KEY)
            if claimed is not None:
                self._running.discard(claimed.key)

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        turn = await self._begin(turn_context)
        if turn is None:
            return
        value = turn_context.activity.value
        if isinstance(value, dict) and value.get("verb") and not turn.text:
            action = parse_action(value, universal=False)
            if action is not None:
                result = await self._dispatch(turn, action)
                await self._answer_submit(turn, result)
                return
        if await self._services.dialogs.continue_active(turn_context):
            return
        matched = self._commands.match(turn.text, turn.person.role, turn.scope)
        refused = self._commands.refusal(turn.text, turn.person.role, turn.scope) if matched is None else None
        if matched is not None:
            command, args = matched
            await command.handler(turn, args)
        elif refused is not None:
            # Another role's command, or one that works elsewhere: say why, rather than filing it on a customer's
            # ticket or "not understanding" it.
            key, command = refused
            partner = self._services.settings.support.partner_name
            await turn.say(turn.t(key, command=command.phrase, partner=partner))
        elif turn.person.role is Role.CUSTOMER and turn.scope == PERSONAL and turn.text:
            await follow.customer_text(turn)
        elif turn.text:
            await turn.say(turn.t("unknown_command"))  # never quoted back: Teams would render it as Markdown and links
        elif turn.scope != PERSONAL:
            # Addressed in a channel or group chat with nothing to act on (a bare @mention): never stay silent.
            bot_name = turn.activity.recipient.name if turn.activity.recipient else None
            await turn.say(turn.t("hint.addressed", bot=bot_name or "Partner Desk"))

    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse:
        if turn_context.activity.name != "adaptiveCard/action":
            answer = await super().on_invoke_activity(turn_context)
            # The SDK answers invokes it has no handler for with 501; for the desk they are requests it does not
            # take (a missing or unknown name), not a failure of the server.
            return answer if answer is None or answer.status < 500 else InvokeResponse(status=400)
        t = Translator(turn_context.activity.locale)
        action = parse_action(turn_context.activity.value, universal=True)
        if action is None:
            return _invoke(
                400, "application/vnd.microsoft.error", {"code": "BadRequest", "message": "malformed action"}
            )
        # A refresh only reads (Teams sends one whenever a listed technician views the card): nothing to de-duplicate.
        turn = await self._begin(turn_context, dedupe=action.verb != REFRESH_VERB)
        if turn is None:
            redelivered: Delivered | None = turn_context.turn_state.get(REDELIVERED_KEY)
            if redelivered is None:
                refusal = turn_context.turn_state.get(REFUSAL_KEY) or _refusal_text(self._services, t)
                return _invoke(200, MESSAGE_TYPE, refusal)
            if redelivered.response is not None:
                return InvokeResponse(status=200, body=SentJson(redelivered.response))  # the first answer, as it was
            return _invoke(200, MESSAGE_TYPE, t("delivery.already_done"))
        result = await self._dispatch(turn, action)
        if result.card is not None:
            response = _invoke(200, CARD_TYPE, result.card)
        else:
            response = _invoke(200, MESSAGE_TYPE, result.message or "")
        turn_context.turn_state[ANSWER_KEY] = response.body
        return response

    async def on_teams_file_consent(
        self, turn_context: TurnContext, file_consent_card_response: FileConsentCardResponse
    ) -> InvokeResponse:
        """A file consent card answered (a report's CSV): Teams wants 200 whatever came of it; what did is said in
        the chat. A redelivered answer is not acted on twice (the delivery is claimed as any turn's)."""
        turn = await self._begin(turn_context)
        if turn is not None:
            response = file_consent_card_response
            await report_files.file_consent(turn, response.action or "", response.context, response.upload_info)
        return InvokeResponse(status=200)

    async def on_members_added_activity(self, members_added: list[ChannelAccount], turn_context: TurnContext) -> None:
        bot_id = turn_context.activity.recipient.id if turn_context.activity.recipient else None
        if any(member.id == bot_id for member in members_added):
            await self._welcome(turn_context)

    async def _welcome(self, turn_context: TurnContext) -> None:
        try:
            person = await self._services.who.person(turn_context)
        except MicrosoftApiError as error:  # no welcome while Partner Center cannot say who they are
            logger.warning("no welcome: cannot tell who joined (%s)", error)
            return
        if person.role is Role.STRANGER:
            return
        turn = self._turn(turn_context, person)
        activity = turn_context.activity
        user_id = (activity.from_property.aad_object_id or "") if activity.from_property else ""
        if scope_of(activity) != PERSONAL or not user_id:
            await help_feature.show_help(turn, "")
            return
        # Installed in a person's personal scope (by a roll-out or by the person): greet once per person, across
        # redeliveries, reinstalls and restarts (issue 16), and keep the chat's reference for later messages.
        record = record_of(activity)
        desk = self._services.desk
        await desk.save_conversation(record)
        tenant = record.tenant_id or ""
        if not await desk.welcome_once(tenant, user_id, record.key):
            logger.info("welcome on install: %s was greeted already", user_id)
            return
        try:
            await help_feature.show_help(turn, "")
        except Exception:
            await desk.forget_welcome(tenant, user_id)  # not greeted after all: the next delivery greets
            raise

    async def _begin(self, turn_context: TurnContext, dedupe: bool = True) -> Turn | None:
        """Resolve the sender; refuse strangers (storing nothing); set aside redeliveries of completed turns; remember
        the chat."""
        activity = turn_context.activity
        person = await self._person(turn_context)
        if person is None:
            return None
        if person.role is Role.STRANGER:
            await self._refuse_stranger(turn_context)
            return None
        desk = self._services.desk
        key = f"{activity.channel_id}|{activity.conversation.id}|{activity.id}"
        delivery = Delivery(key) if activity.id and dedupe else None
        if delivery is not None:
            invoke = activity.type == "invoke"
            # A copy of a turn still running waits (bounded) for it: see DirectoryService.claim_delivery.
            claim = await desk.claim_delivery(key, self._holder, lambda: key in self._running, wants_answer=invoke)
            if claim.state is ClaimState.DONE:
                logger.info("activity %s was processed already: answering as the first time", activity.id)
                turn_context.turn_state[REDELIVERED_KEY] = Delivered(decode_response(claim.response))
                return None
            if claim.state is ClaimState.RUNNING:
                # A message is dropped (the first turn answers it); a card action is told it is in progress.
                logger.info("activity %s is being processed already", activity.id)
                if invoke:
                    turn_context.turn_state[REFUSAL_KEY] = Translator(activity.locale)("delivery.in_progress")
                return None
            self._running.add(delivery.key)
            turn_context.turn_state[DELIVERY_KEY] = delivery
        if scope_of(activity) == PERSONAL:
            await desk.save_conversation(record_of(activity))
        if person.role is Role.TECHNICIAN:
            sender = activity.from_property
            await desk.remember_technician(Technician(person.aad_id, person.name, sender.id, person.email or None))
        turn = self._turn(turn_context, person, delivery)
        turn_context.turn_state[TURN_KEY] = turn
        return turn

    def _turn(self, turn_context: TurnContext, person: Person, delivery: Delivery | None = None) -> Turn:
        activity = turn_context.activity
        text = text_without_bot_mention(activity)
        text = " ".join((text or "").split()) if "\n" not in (text or "") else (text or "").strip()
        scope = scope_of(activity)
        return Turn(turn_context, person, Translator(activity.locale), text, scope, self._services, delivery)

    async def _dispatch(self, turn: Turn, action: CardAction) -> ActionResult:
        route = self._actions.route(action.verb)
        if route is None:
            return ActionResult(message=turn.t("refusal.unknown_action"), refused=True)
        if turn.person.role not in route.roles:
            key = "refusal.technicians_only" if Role.TECHNICIAN in route.roles else "refusal.customers_only"
            logger.warning("refused %s by %s (%s)", action.verb, turn.person.aad_id, turn.person.role)
            partner = self._services.settings.support.partner_name
            return ActionResult(message=turn.t(key, partner=partner), refused=True)
        if route.scopes is not None and turn.scope not in route.scopes:
            # A customer's tickets are private to them: their buttons work in their personal chat with the bot only.
            logger.warning("refused %s in a %s conversation", action.verb, turn.scope)
            return ActionResult(message=turn.t("refusal.personal_chat_only"), refused=True)
        return await route.handler(turn, action)

    async def _answer_submit(self, turn: Turn, result: ActionResult) -> None:
        """Action.Submit cannot return a card: replace the clicked card in place, or reply."""
        if result.card is not None:
            reply_to = turn.activity.reply_to_id
            if reply_to:
                activity = card_activity(result.card)
                activity.id = reply_to
                try:
                    await turn.context.update_activity(activity)
                except Exception:
                    logger.exception("could not update the submitted card; sending it instead")
                    await turn.show(result.card)
            else:
                await turn.show(result.card)
        if result.message:
            await turn.say(result.message)

    async def _person(self, turn_context: TurnContext) -> Person | None:
        """The sender with their role; None, after telling them plainly, while Partner Center cannot say which
        customer they belong to (no customer list loaded yet, and it is failing): nothing is stored meanwhile."""
        try:
            return await self._services.who.person(turn_context)
        except MicrosoftApiError as error:
            logger.warning("cannot tell who is writing: the customer list is unavailable (%s)", error)
            text = Translator(turn_context.activity.locale)("refusal.directory_unavailable")
            turn_context.turn_state[REFUSAL_KEY] = text
            if turn_context.activity.type != "invoke":
                await turn_context.send_activity(MessageFactory.text(text))
            return None

    async def _refuse_stranger(self, turn_context: TurnContext) -> None:
        if turn_context.activity.type == "invoke":
            return
        t = Translator(turn_context.activity.locale)
        await turn_context.send_activity(MessageFactory.text(_refusal_text(self._services, t)))


def _refusal_text(services: Services, t: Translator) -> str:
    profile = services.settings.support
    contact = " / ".join(v for v in (profile.email, profile.phone, profile.website) if v)
    if contact:
        return t("refusal.stranger", partner=profile.partner_name, contact=contact)
    return t("refusal.stranger_no_contact", partner=profile.partner_name)


def _invoke(status: int, kind: str, value: Any) -> InvokeResponse:
    return InvokeResponse(status=200, body=SentJson({"statusCode": status, "type": kind, "value": value}))
