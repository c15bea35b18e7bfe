"""Typed commands, matched on whole leading words (never substrings), per role and conversation scope."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

from bot.turns.conversations import PERSONAL
from bot.turns.turn import Turn
from desk.people import Role

CommandHandler = Callable[[Turn, str], Awaitable[None]]
# Arguments a command typed by the wrong role may carry and still be taken for that command (see of_other_roles).
MAX_MISPLACED_ARGUMENTS = 1


@dataclass(frozen=True)
class Command:
    """A command: its words, who may use it where, and its help text key."""

    words: tuple[str, ...]
    handler: CommandHandler
    roles: frozenset[Role]
    scopes: frozenset[str]
    help_key: str
    usage: str = ""

    @property
    def phrase(self) -> str:
        """The command as typed."""
        return " ".join(self.words)


class CommandRouter:
    """Finds the command a message starts with; the longest matching phrase wins."""

    def __init__(self) -> None:
        self._registered: list[Command] = []  # registration order, for help
        self._commands: list[Command] = []  # longest phrase first, for matching

    def add(
        self,
        phrase: str,
        handler: CommandHandler,
        *,
        roles: Iterable[Role],
        scopes: Iterable[str],
        help_key: str,
        usage: str = "",
        aliases: Iterable[str] = (),
    ) -> None:
        """Register `phrase` (and its aliases) for `roles` in `scopes`."""
        for text in (phrase, *aliases):
            words = tuple(text.lower().split())
            self._registered.append(
                Command(words, handler, frozenset(roles), frozenset(scopes), help_key if text == phrase else "", usage)
            )
        self._commands = sorted(self._registered, key=lambda command: -len(command.words))

    def match(self, text: str, role: Role, scope: str) -> tuple[Command, str] | None:
        """The command `text` invokes for this role and scope, and the rest of the text (its arguments)."""
        words = text.split()
        lowered = [word.lower() for word in words]
        for command in self._commands:
            size = len(command.words)
            if tuple(lowered[:size]) == command.words and role in command.roles and scope in command.scopes:
                rest = text.split(None, size)[size] if len(words) > size else ""
                return command, rest.strip()
        return None

    def refusal(self, text: str, role: Role, scope: str) -> tuple[str, Command] | None:
        """Why `text`, which `match` did not take, does nothing here: the refusal's locale key and the command, when
        it is another role's command (its words alone or with one argument: "Customers can't sign in to Outlook"
        is a sentence, not the `customers` command), or this role's command used in a conversation where it does
        not work (a customer's private commands outside their personal chat). None otherwise."""
        lowered = [word.lower() for word in text.split()]
        found = [command for command in self._commands if tuple(lowered[: len(command.words)]) == command.words]
        mine = [command for command in found if role in command.roles]
        if mine:
            private = [command for command in mine if PERSONAL in command.scopes and scope not in command.scopes]
            return ("refusal.personal_chat_only", private[0]) if private else None
        others = [c for c in found if len(lowered) - len(c.words) <= MAX_MISPLACED_ARGUMENTS]
        if not others:
            return None
        for_technicians = Role.TECHNICIAN in others[0].roles
        return ("refusal.command_for_technicians" if for_technicians else "refusal.command_for_customers"), others[0]

    def listed(self, role: Role, scope: str) -> list[Command]:
        """The documented commands (no aliases) available to `role` in `scope`, in registration order."""
        return [c for c in self._registered if c.help_key and role in c.roles and scope in c.scopes]

    def all_listed(self) -> list[Command]:
        """Every documented command."""
        return [c for c in self._registered if c.help_key]
