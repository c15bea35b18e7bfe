"""Technicians' sign-in to Partner Center (App+User tokens, needed to file and follow service requests):
started from Teams, finished in the browser (authorization code + PKCE, redirect to this app) or with a device
code where no redirect can reach the app. Token caches are stored per technician, encrypted."""

from __future__ import annotations

import logging
import threading

from bot.features.sign_in_errors import NotSignedIn, SignInFailed
from cards.escalation import signed_in_card
from cards.render import card_message, text_message
from desk.i18n import Translator
from desk.outbox import Operation, Outgoing
from desk.service import Desk
from desk.store.tokens import PendingSignIn
from msapi.delegated import SignedIn, SignInRequired, UserSignIn
from msapi.errors import TokenError

logger = logging.getLogger(__name__)


class SignIns:
    """Starts and finishes technicians' sign-ins and hands out their access tokens."""

    def __init__(
        self,
        desk: Desk,
        client: UserSignIn,
        redirect_uri: str | None,
        public_url: str | None,
        technicians: frozenset[str] = frozenset(),
    ) -> None:
        """`technicians`: TECHNICIANS (lower-case object ids); empty means every member of the partner tenant."""
        self._technicians = technicians
        self._desk = desk
        self._client = client
        self._redirect_uri = redirect_uri
        self._public_url = public_url
        self._device_waits: dict[str, threading.Event] = {}  # technician -> stop of their pending device code

    @property
    def uses_redirect(self) -> bool:
        """True when the browser can come back to this app (else the device-code flow is used)."""
        return self._redirect_uri is not None

    async def start(self, aad_id: str, conversation_key: str, resume: str | None = None) -> str:
        """Begin an authorization-code sign-in; returns the link the technician opens (it carries only a state)."""
        assert self._redirect_uri is not None and self._public_url is not None
        flow = await self._client.start_auth_code(self._redirect_uri)
        state = str(flow["state"])
        await self._desk.save_sign_in(PendingSignIn(state, aad_id, flow, conversation_key, resume, self._desk._clock()))
        return f"{self._public_url}/auth/signin/{state}"

    async def browser_target(self, state: str) -> str | None:
        """Where the sign-in link sends the browser: Entra's authorize page for that pending sign-in."""
        pending = await self._desk.peek_sign_in(state)
        return str(pending.flow["auth_uri"]) if pending else None

    async def finish(self, query: dict[str, str]) -> tuple[PendingSignIn, SignedIn]:
        """Complete the sign-in the browser returned with; raises SignInFailed (unknown or expired state, Entra
        refused the code, or the account is not the technician who started it)."""
        state = query.get("state", "")
        # The callback needs no token, so junk states must cost a read only; a state known to be valid is then
        # used up (in one write that also finds whether a concurrent callback took it first).
        if await self._desk.peek_sign_in(state) is None:
            raise SignInFailed("this sign-in link is unknown or has expired")
        pending = await self._desk.take_sign_in(state)
        if pending is None:
            raise SignInFailed("this sign-in link is unknown or has expired")
        try:
            signed = await self._client.finish_auth_code(pending.flow, query)
            await self._store(pending.aad_id, signed)
        except (TokenError, LookupError) as error:
            raise SignInFailed(str(error), pending.conversation_key) from error
        return pending, signed

    async def start_device(self, aad_id: str) -> dict:  # type: ignore[type-arg]
        """Begin a device-code sign-in; the caller shows the code and calls `finish_device`."""
        return await self._client.start_device_flow()

    async def finish_device(self, aad_id: str, flow: dict) -> SignedIn:  # type: ignore[type-arg]
        """Wait for the device-code sign-in to complete and store it. A technician's newer device code stops the
        wait on their older one (TokenError code "stopped"), so repeated `sign in`s do not pile up waits."""
        stop = threading.Event()
        previous = self._device_waits.get(aad_id)
        if previous is not None:
            previous.set()
        self._device_waits[aad_id] = stop
        try:
            signed = await self._client.finish_device_flow(flow, stop)
        finally:
            if self._device_waits.get(aad_id) is stop:
                del self._device_waits[aad_id]
        await self._store(aad_id, signed)
        return signed

    async def token(self, aad_id: str) -> str:
        """A Partner Center access token for this technician; raises NotSignedIn."""
        stored = await self._desk.token_cache(aad_id)
        if stored is None:
            raise NotSignedIn(aad_id)
        username, cache = stored
        try:
            access_token, renewed = await self._client.token(cache)
        except SignInRequired as error:
            await self._desk.forget_token_cache(aad_id)
            raise NotSignedIn(aad_id) from error
        if renewed is not None:
            await self._desk.save_token_cache(aad_id, username, renewed)
        return access_token

    async def any_token(self, preferred: str | None = None) -> tuple[str, str] | None:
        """(aad id, token) of `preferred` if signed in, else of any signed-in technician (background work)."""
        candidates = [preferred] if preferred else []
        candidates += [a for a in await self._desk.signed_in_technicians() if a != preferred]
        if self._technicians:  # someone taken off TECHNICIANS no longer lends their sign-in to background work
            candidates = [a for a in candidates if a.lower() in self._technicians]
        for aad_id in candidates:
            try:
                return aad_id, await self.token(aad_id)
            except NotSignedIn:
                continue
            except TokenError as error:
                logger.warning("token for %s unavailable: %s", aad_id, error)
        return None

    async def sign_out(self, aad_id: str) -> bool:
        """Forget the technician's tokens."""
        return await self._desk.forget_token_cache(aad_id)

    async def _store(self, aad_id: str, signed: SignedIn) -> None:
        if signed.oid.lower() != aad_id.lower():
            raise LookupError(f"signed in as {signed.username}, not as the technician who asked")
        await self._desk.save_token_cache(aad_id, signed.username, signed.cache)


async def announce_signed_in(desk: Desk, pending: PendingSignIn, signed: SignedIn) -> None:
    """Tell the technician in Teams that the sign-in worked (and offer to continue an escalation)."""
    conversation = await desk.conversation(pending.conversation_key)
    if conversation is None:
        return
    t = Translator(conversation.locale)
    card = signed_in_card(t, signed.username, pending.resume)
    await desk.queue([Outgoing(conversation.key, Operation.POST, card_message(card))])


async def announce_failure(desk: Desk, conversation_key: str, reason: str) -> None:
    """Tell the technician the sign-in did not work."""
    conversation = await desk.conversation(conversation_key)
    if conversation is not None:
        t = Translator(conversation.locale)
        await desk.queue([Outgoing(conversation.key, Operation.POST, text_message(t("signin.failed", reason=reason)))])
