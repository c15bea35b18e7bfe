"""Runs the conversations' dialogs with their state kept in bot storage."""

from __future__ import annotations

from botbuilder.core import ConversationState, TurnContext
from botbuilder.dialogs import DialogSet, DialogTurnStatus

from dialogs.new_ticket import Complete, NewTicketDialog


class DialogRunner:
    """Starts and continues the text-mode flows."""

    def __init__(self, conversation_state: ConversationState, on_ticket: Complete) -> None:
        self._dialogs = DialogSet(conversation_state.create_property("DialogState"))
        self._dialogs.add(NewTicketDialog(on_ticket))

    async def begin_new_ticket(self, context: TurnContext, prefill: dict[str, str]) -> None:
        """Start the new-ticket questions (replacing any flow in progress)."""
        dialog_context = await self._dialogs.create_context(context)
        await dialog_context.cancel_all_dialogs()
        await dialog_context.begin_dialog(NewTicketDialog.__name__, prefill)

    async def continue_active(self, context: TurnContext) -> bool:
        """Give the message to the flow in progress; False when there is none."""
        dialog_context = await self._dialogs.create_context(context)
        if dialog_context.active_dialog is None:
            return False
        result = await dialog_context.continue_dialog()
        return result.status != DialogTurnStatus.Empty
