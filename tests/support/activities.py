"""Activities as Teams sends them: personal chats, channel posts with an @mention, card submits and invokes."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from emulator import demo

BOT_ID = "28:partner-desk-bot"
BOT_NAME = "Partner Desk"
_ids = itertools.count(1)


@dataclass(frozen=True)
class TeamsUser:
    """A Teams user: their MRI, Entra object id, tenant."""

    user_id: str
    aad_id: str
    name: str
    tenant_id: str
    email: str
    role: str = "user"

    def member(self) -> dict[str, Any]:
        """The roster entry the connector returns for this user."""
        given, _, surname = self.name.partition(" ")
        return {
            "id": self.user_id,
            "name": self.name,
            "aadObjectId": self.aad_id,
            "givenName": given,
            "surname": surname,
            "email": self.email,
            "userPrincipalName": self.email,
            "tenantId": self.tenant_id,
            "userRole": self.role,
        }


def user(tenant: demo.DemoTenant, index: int = 0, role: str = "user") -> TeamsUser:
    """A demo user as a Teams user."""
    person = tenant.users[index]
    return TeamsUser(f"29:{person.aad_id}", person.aad_id, person.name, tenant.tenant_id, person.email, role)


_Roster = TypeVar("_Roster", bound="HasRoster")


class HasRoster(Protocol):
    """Anything with a connector's member roster (user id -> Teams member)."""

    members: dict[str, dict[str, Any]]


def with_demo_roster(connector: _Roster) -> _Roster:
    """Put every demo user (partner, customers, the stranger) into `connector`'s roster; returns it."""
    for tenant in (demo.PARTNER, *demo.CUSTOMERS, demo.STRANGER):
        for index in range(len(tenant.users)):
            member = user(tenant, index)
            connector.members[member.user_id] = member.member()
    return connector


def _base(service_url: str, sender: TeamsUser, conversation: dict[str, Any], **extra: Any) -> dict[str, Any]:
    activity: dict[str, Any] = {
        "id": f"act-{next(_ids)}",
        "channelId": "msteams",
        "serviceUrl": service_url,
        "timestamp": "2026-11-23T10:00:00.000Z",
        "locale": "en-US",
        "from": {"id": sender.user_id, "name": sender.name, "aadObjectId": sender.aad_id},
        "recipient": {"id": BOT_ID, "name": BOT_NAME},
        "conversation": conversation,
        "channelData": {"tenant": {"id": sender.tenant_id}},
    }
    activity.update(extra)
    return activity


@dataclass
class Chat:
    """A personal (1:1) chat between a user and the bot."""

    sender: TeamsUser
    service_url: str

    @property
    def conversation_id(self) -> str:
        """The chat's conversation id."""
        return f"a:personal-{self.sender.aad_id}"

    def _conversation(self) -> dict[str, Any]:
        return {"id": self.conversation_id, "conversationType": "personal", "tenantId": self.sender.tenant_id}

    def message(self, text: str, **extra: Any) -> dict[str, Any]:
        """A typed message."""
        return _base(self.service_url, self.sender, self._conversation(), type="message", text=text, **extra)

    def submit(self, data: dict[str, Any], reply_to: str | None = None, **extra: Any) -> dict[str, Any]:
        """An Action.Submit: a message with `value` (card data merged with inputs)."""
        activity = _base(self.service_url, self.sender, self._conversation(), type="message", value=data, **extra)
        if reply_to:
            activity["replyToId"] = reply_to
        return activity

    def invoke(self, verb: str, target: str = "", inputs: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
        """An Action.Execute: an adaptiveCard/action invoke."""
        return _invoke(self.service_url, self.sender, self._conversation(), verb, target, inputs, **extra)


@dataclass
class Channel:
    """A channel of a team where the bot is installed."""

    team_id: str
    channel_id: str
    service_url: str

    def _conversation(self, tenant: str, thread: str | None = None) -> dict[str, Any]:
        conversation_id = f"{self.channel_id};messageid={thread or next(_ids)}"
        return {"id": conversation_id, "conversationType": "channel", "isGroup": True, "tenantId": tenant}

    def _channel_data(self, tenant: str) -> dict[str, Any]:
        return {"tenant": {"id": tenant}, "team": {"id": self.team_id}, "channel": {"id": self.channel_id}}

    def message(self, sender: TeamsUser, text: str, thread: str | None = None) -> dict[str, Any]:
        """A post that @mentions the bot (the only posts a bot receives in a channel)."""
        mention = f"<at>{BOT_NAME}</at>"
        return _base(
            self.service_url,
            sender,
            self._conversation(sender.tenant_id, thread),
            type="message",
            text=f"{mention} {text}",
            entities=[{"type": "mention", "text": mention, "mentioned": {"id": BOT_ID, "name": BOT_NAME}}],
            channelData=self._channel_data(sender.tenant_id),
        )

    def invoke(
        self, sender: TeamsUser, verb: str, target: str = "", inputs: dict[str, Any] | None = None, thread: str = ""
    ) -> dict[str, Any]:
        """An Action.Execute on a card in the channel (`thread` = the card's message id)."""
        conversation = self._conversation(sender.tenant_id, thread or None)
        activity = _invoke(self.service_url, sender, conversation, verb, target, inputs)
        activity["channelData"] = self._channel_data(sender.tenant_id)
        if thread:
            activity["replyToId"] = thread
        return activity


def _invoke(
    service_url: str,
    sender: TeamsUser,
    conversation: dict[str, Any],
    verb: str,
    target: str,
    inputs: dict[str, Any] | None,
    **extra: Any,
) -> dict[str, Any]:
    data = {"verb": verb, "id": target, **(inputs or {})}
    value = {"action": {"type": "Action.Execute", "verb": verb, "data": data}, "trigger": "manual"}
    return _base(service_url, sender, conversation, type="invoke", name="adaptiveCard/action", value=value, **extra)


def guest(person: TeamsUser, host: demo.DemoTenant) -> TeamsUser:
    """`person` invited as a B2B guest into `host`'s tenant: a new account there (its own object id), the same
    address, userRole "guest"."""
    aad_id = f"6e57{person.aad_id[4:]}"
    return TeamsUser(f"29:{aad_id}", aad_id, person.name, host.tenant_id, person.email, "guest")


def join_roster(connector: _Roster, *people: TeamsUser) -> _Roster:
    """Add `people` to `connector`'s roster; returns it."""
    for person in people:
        connector.members[person.user_id] = person.member()
    return connector


@dataclass
class SharedChannel(Channel):
    """A shared channel hosted by `host_tenant`'s team. Teams stamps the host's tenant on every activity in it
    (conversation.tenantId, channelData.tenant.id), external members' activities included: "To retrieve the host
    tenant ID for any event or action payload received by a bot, use turnContext.activity.conversation.tenantId"
    (https://learn.microsoft.com/microsoftteams/platform/build-apps-for-shared-private-channels). Only the roster
    tells where a sender's account lives."""

    host_tenant: str = ""

    def _conversation(self, tenant: str, thread: str | None = None) -> dict[str, Any]:
        return super()._conversation(self.host_tenant, thread)

    def _channel_data(self, tenant: str) -> dict[str, Any]:
        return super()._channel_data(self.host_tenant)
