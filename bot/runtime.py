"""Builds the running desk from settings (database, clients, adapter, bot, sender) and tears it down."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import importlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import urlparse

import httpx
import requests
from botbuilder.core import ConversationState, TurnContext
from cryptography.fernet import Fernet

from bot.edge.adapter import DeskAdapter, on_turn_error
from bot.edge.auth import build_authentication
from bot.edge.credentials import CachingCredentialsFactory
from bot.features import intake
from bot.features.registry import register_all
from bot.features.sign_ins import SignIns
from bot.jobs.background import Periodic
from bot.jobs.gdap_expiry import GDAP_POLL_SECONDS, check_gdap
from bot.jobs.heartbeat import Heartbeat
from bot.jobs.kb_sync import load_kb_folder
from bot.jobs.message_digest import CHECK_SECONDS as DIGEST_CHECK_SECONDS
from bot.jobs.message_digest import weekly_digest
from bot.jobs.monitor import monitor_round
from bot.jobs.ms_response import check_ms_response
from bot.jobs.psa_webhooks import WebhookSender, start_webhooks
from bot.jobs.readiness_weekly import READINESS_CHECK_SECONDS, weekly_readiness
from bot.jobs.rollout import ROLLOUT_CHECK_SECONDS, rollout_rounds
from bot.jobs.sla_alerts import check_sla
from bot.jobs.spawner import Spawner
from bot.jobs.sr_sync import sync_service_requests
from bot.jobs.storm import storm_rounds
from bot.jobs.support_profile import refresh_profile
from bot.jobs.weekly_report import CHECK_SECONDS as REPORT_CHECK_SECONDS
from bot.jobs.weekly_report import weekly_report
from bot.outbox.send_policy import THREAD_LIMITS
from bot.outbox.sender import OutboxSender
from bot.turns.actions import ActionRouter
from bot.turns.commands import CommandRouter
from bot.turns.handler import TURN_KEY, DeskBot
from bot.turns.identity import WhoIsWho
from bot.turns.services import Services
from bot.turns.state_storage import DatabaseStorage
from desk.clock import Clock, utc_now
from desk.customers import CustomerDirectory
from desk.health import HealthBoard
from desk.instances import instance_id
from desk.kb_service import KnowledgeBase
from desk.outage import Outage, when_reachable
from desk.people import Identifier
from desk.ratelimit import Limits, SharedRateLimiter
from desk.report_links import ReportLinks
from desk.service import Desk
from desk.settings import Settings
from desk.sla import SlaPolicy
from desk.store.database import Database, open_database
from desk.store.single_instance import DatabaseInUse, InstanceLock, hold_single_instance
from desk.store.tokens import Sealer
from desk.storm import StormPolicy, threshold_for
from dialogs.runner import DialogRunner
from msapi.delegated import UserSignIn
from msapi.directory import DirectoryClient
from msapi.gdap import GdapClient
from msapi.graph import SERVICE_COMMUNICATIONS_LIMITS, GraphClient
from msapi.partner_center import PartnerCenterClient
from msapi.teams_apps import TEAMS_LIMITS, TeamsAppsClient
from msapi.throttle import ThrottleGate, partner_center_customer
from msapi.tokens import TokenProvider
from msapi.transport import combined_bundle, http_client, msal_session

logger = logging.getLogger(__name__)
SHUTDOWN_GRACE_SECONDS = 10
# How long start-up waits for an unreachable database (one restarting, or started after the app) before giving up.
START_WAIT_SECONDS = 60.0
MICROSOFT_LOGIN_HOSTS = frozenset({"login.microsoftonline.com", "login.microsoftonline.us", "login.windows.net"})
OpenDatabase = Callable[[str, int], Awaitable[Database]]  # (DATABASE_URL, DATABASE_POOL_SIZE) -> the open database


class LocalEmulator(Protocol):
    """The emulator of Microsoft's APIs that local mode serves in-process."""

    def stop(self) -> None:
        """Stop serving."""
        ...


@dataclass
class Runtime:
    """Everything that lives as long as the process."""

    settings: Settings
    db: Database
    adapter: DeskAdapter
    bot: DeskBot
    services: Services
    sender: OutboxSender
    http: httpx.AsyncClient
    partner_center: PartnerCenterClient
    emulator: LocalEmulator | None
    tasks: list[asyncio.Task[None]]  # the outbox sender first, then the periodic jobs and the heartbeat
    tokens: TokenProvider | None = None
    instance_lock: InstanceLock | None = None  # SQLite: this process's hold on the database file
    heartbeat: Heartbeat | None = None  # removed from the database when the process stops
    psa_sender: WebhookSender | None = None  # the PSA bridge's webhooks, when PSA_WEBHOOK_URLS is set


async def start(
    settings: Settings,
    clock: Clock = utc_now,
    open_db: OpenDatabase = open_database,
    start_wait: float = START_WAIT_SECONDS,
) -> Runtime:
    """Open the database, start the emulator (local mode), build the adapter and bot, start the sender."""
    # First of all: a second process on one SQLite database stops here, before it starts anything.
    try:
        instance_lock = hold_single_instance(settings.database_url)
    except DatabaseInUse as error:
        logger.critical("refusing to start: %s", error)
        raise
    emulator: LocalEmulator | None = None
    extra_ca = settings.extra_ca_file
    if settings.local_mode:
        logger.warning(
            "AUTHENTICATION IS OFF: local mode (MicrosoftAppId is empty), HOST %s, using the built-in emulators of "
            "Microsoft's APIs. Never expose this process to a network.",
            settings.host,
        )
        # The emulator serves local mode and tests only: loaded here, never at import, so production never
        # loads it (and the container image does not ship it).
        server, settings = importlib.import_module("emulator.local").start(settings)
        emulator = server
        extra_ca = str(server.tls.ca_cert)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    try:
        db = await when_reachable(
            lambda: open_db(settings.database_url, settings.database_pool_size), start_wait, "start-up"
        )
    except BaseException:
        if instance_lock is not None:
            instance_lock.release()
        raise
    bundle = combined_bundle(extra_ca, str(settings.data_dir / "ca-bundle.pem")) if extra_ca else None
    session = msal_session(bundle)
    http = http_client(extra_ca)
    validate_authority = urlparse(settings.login_url).hostname in MICROSOFT_LOGIN_HOSTS
    tokens = TokenProvider(
        settings.api_client_id, settings.api_client_secret, settings.login_url, session, validate_authority
    )
    # Microsoft throttles the app, not one client of it: every client of the partner's app shares one gate.
    gate = ThrottleGate()
    partner_center = PartnerCenterClient(
        http,
        tokens,
        settings.partner_center_url,
        f"{settings.cloud.partner_center_url}/.default",
        partner_tenant_id=settings.partner_tenant_id,
        gate=gate,
        gate_scope=partner_center_customer,
    )
    customers = CustomerDirectory(partner_center.customers, ttl=settings.customer_cache_seconds)
    # Graph counts the app's requests per tenant, whichever instance makes them: the limiter's state is in the database.
    limiter = SharedRateLimiter(db, "graph:service-communications", Limits(SERVICE_COMMUNICATIONS_LIMITS), clock)
    graph = GraphClient(
        http, tokens, settings.graph_url, f"{settings.cloud.graph_url}/.default", limiter=limiter, gate=gate
    )
    # GDAP relationships are the partner tenant's own: read with the app's token for that tenant.
    gdap = GdapClient(
        http,
        tokens,
        settings.graph_url,
        f"{settings.cloud.graph_url}/.default",
        gate=gate,
        partner_tenant_id=settings.partner_tenant_id,
    )
    # The roll-out's Graph calls in customer tenants (issue 16): the Teams calls share their own per-tenant window.
    teams_limiter = SharedRateLimiter(db, "graph:teams", Limits(TEAMS_LIMITS), clock)
    graph_scope = f"{settings.cloud.graph_url}/.default"
    teams_apps = TeamsAppsClient(http, tokens, settings.graph_url, graph_scope, limiter=teams_limiter, gate=gate)
    directory = DirectoryClient(http, tokens, settings.graph_url, graph_scope, gate=gate)
    credentials = CachingCredentialsFactory(
        settings.bot.app_id, settings.bot.app_password, settings.bot.app_type, settings.bot.app_tenant_id, session
    )
    authentication, url_policy = build_authentication(settings, credentials)
    adapter = DeskAdapter(authentication)
    adapter.on_turn_error = on_turn_error
    desk = Desk(db, SlaPolicy(settings.support.hours, settings.sla), clock)
    signins = _sign_ins(settings, desk, session, validate_authority)
    outage = Outage()
    # This process's name: the holder of its turns' claims, of its jobs' leases, and of its heartbeat.
    holder = instance_id()
    heartbeat = Heartbeat(desk, holder, outage)
    sender = OutboxSender(adapter, db, settings.bot.app_id, url_policy, clock, outage=outage, holder=holder)
    psa_sender = await start_webhooks(db, http, settings.psa, holder, clock, outage)

    def kick() -> None:
        sender.kick()
        if psa_sender is not None:
            psa_sender.kick()

    desk.on_outbox = kick
    desk.storm = storm_policy(settings)
    conversation_state = ConversationState(DatabaseStorage(db, clock))
    commands, actions = CommandRouter(), ActionRouter()
    register_all(commands, actions)

    async def on_ticket(context: TurnContext, values: dict[str, str]) -> None:
        await intake.complete_dialog(context.turn_state[TURN_KEY], values)

    services = Services(
        settings=settings,
        desk=desk,
        customers=customers,
        sender=sender,
        commands=commands,
        clock=clock,
        who=WhoIsWho(Identifier(settings.partner_tenant_id, settings.technicians, customers)),
        dialogs=DialogRunner(conversation_state, on_ticket),
        spawner=Spawner(),
        partner_center=partner_center,
        health=HealthBoard(graph),
        graph=graph,
        signins=signins,
        gdap=gdap,
        report_links=_report_links(settings),
        teams_apps=teams_apps,
        directory=directory,
        tokens=tokens,
    )
    bot = DeskBot(services, commands, actions, conversation_state, holder)

    # Each job runs on one instance at a time (its lease); every loop logs an outage once, not once per attempt.
    def job(name: str, interval: float, work: Callable[[], Awaitable[object]]) -> Periodic:
        return Periodic(name, interval, work, desk, holder=holder, clock=clock, outage=outage)

    jobs = [
        job("sla-watch", settings.sla_check_seconds, lambda: check_sla(services)),
        job("housekeeping", 3600, desk.housekeeping),
        job("health-monitor", settings.health_poll_seconds, lambda: monitor_round(services)),
        job("sr-sync", settings.sr_sync_seconds, lambda: sync_service_requests(services)),
        job("support-profile", 3600, lambda: refresh_profile(services)),
        job("ms-response-clock", settings.sla_check_seconds, lambda: check_ms_response(services)),
        job("message-center-digest", DIGEST_CHECK_SECONDS, lambda: weekly_digest(services)),
        job("gdap-expiry", GDAP_POLL_SECONDS, lambda: check_gdap(services)),
        job("storm", settings.storm_check_seconds, lambda: storm_rounds(services)),
        job("weekly-report", REPORT_CHECK_SECONDS, lambda: weekly_report(services)),
        job("readiness-weekly", READINESS_CHECK_SECONDS, lambda: weekly_readiness(services)),
        job("rollout", ROLLOUT_CHECK_SECONDS, lambda: rollout_rounds(services)),
    ]
    if settings.kb_dir is not None:
        kb = KnowledgeBase(desk.db, clock)
        jobs.append(job("kb-folder", settings.kb_check_seconds, lambda: load_kb_folder(kb, settings.kb_dir)))
        try:  # the articles are there from the first turn; the job keeps them in step afterwards
            await load_kb_folder(kb, settings.kb_dir)
        except Exception:
            logger.exception("knowledge base: the first load of %s failed; the job tries again", settings.kb_dir)
    # The first beat lands before the process serves: a turn it claims never looks dead for want of a heartbeat.
    await heartbeat.beat()
    tasks = [asyncio.create_task(sender.run(), name="outbox-sender")]
    tasks += [asyncio.create_task(job.run(), name=job.name) for job in jobs]
    tasks.append(asyncio.create_task(heartbeat.run(), name="heartbeat"))
    if psa_sender is not None:
        tasks.append(asyncio.create_task(psa_sender.run(), name="psa-webhooks"))
    # What exists now lives as long as the process (modules, the SDK's classes, the clients: ~150,000 objects): left
    # out of the collector's full collections, which otherwise walk them all (100-200 ms on 2 cores) while every
    # turn in flight waits.
    gc.collect()
    gc.freeze()
    return Runtime(
        settings,
        db,
        adapter,
        bot,
        services,
        sender,
        http,
        partner_center,
        emulator,
        tasks,
        tokens,
        instance_lock,
        heartbeat,
        psa_sender,
    )


async def stop(runtime: Runtime) -> None:
    """Stop background work, close clients and the database, stop the emulator."""
    runtime.sender.stop()
    sender_task = runtime.tasks[0]
    senders = [asyncio.shield(sender_task)]
    if runtime.psa_sender is not None:
        runtime.psa_sender.stop()  # its sends under way end (each bounded by PSA_WEBHOOK_TIMEOUT) and are recorded
        senders += [asyncio.shield(task) for task in runtime.tasks if task.get_name() == "psa-webhooks"]
    with contextlib.suppress(TimeoutError):
        # Let work a turn started (an incident check, a sweep) finish, and sends under way end: a cancelled task
        # would leave its blocking MSAL call running in a thread against clients that are closing, and a send
        # cancelled between Teams' answer and its record would be sent again after the restart.
        await asyncio.wait_for(
            asyncio.gather(runtime.services.spawner.drain(), *senders, return_exceptions=True),
            SHUTDOWN_GRACE_SECONDS,
        )
    await runtime.services.spawner.close()
    for task in runtime.tasks:
        task.cancel()
    for task in runtime.tasks:
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
    if runtime.heartbeat is not None:
        await runtime.heartbeat.retire()
    await runtime.http.aclose()
    if runtime.tokens is not None:
        runtime.tokens.close()
    await runtime.db.close()
    if runtime.instance_lock is not None:
        runtime.instance_lock.release()
    if runtime.emulator is not None:
        runtime.emulator.stop()
    gc.unfreeze()  # what start-up kept out of collections is collectable again (tests start many runtimes)


def storm_policy(settings: Settings) -> StormPolicy:
    """Storm mode's policy: by default a channel is in storm once its queue holds what Teams lets through in 30 s."""
    threshold = settings.storm_threshold
    if threshold == 0:
        threshold = threshold_for(THREAD_LIMITS)
    return StormPolicy(threshold=max(threshold, 0), summary_every=float(settings.storm_summary_seconds))


def _sign_ins(settings: Settings, desk: Desk, session: requests.Session, validate_authority: bool) -> SignIns | None:
    """Technicians' Partner Center sign-in, when a key to encrypt their tokens exists (local mode makes one)."""
    keys = settings.token_cache_keys or ((_local_key(settings.data_dir),) if settings.local_mode else ())
    if not keys:
        logger.warning("TOKEN_CACHE_KEY is not set: technicians cannot sign in to Partner Center or escalate")
        return None
    desk.sealer = Sealer(keys)  # the first key seals; older ones still open caches sealed before a rotation
    public = settings.public_url or (f"http://127.0.0.1:{settings.port}" if settings.local_mode else None)
    client = UserSignIn(
        settings.api_client_id,
        settings.api_client_secret,
        settings.login_url,
        settings.partner_tenant_id,
        session,
        validate_authority=validate_authority,
    )
    if settings.sign_in_flow == "device":  # the technicians' browsers cannot reach this app
        public = None
    return SignIns(desk, client, f"{public}/auth/callback" if public else None, public, settings.technicians)


def _report_links(settings: Settings) -> ReportLinks | None:
    """Signed CSV links: under PUBLIC_URL (local mode: this process's own address), signed with a key derived from
    the first TOKEN_CACHE_KEY (local mode: its key file). None without either: CSVs then come as files only."""
    keys = settings.token_cache_keys or ((_local_key(settings.data_dir),) if settings.local_mode else ())
    public = settings.public_url or (f"http://127.0.0.1:{settings.port}" if settings.local_mode else None)
    if not keys or public is None:
        return None
    return ReportLinks(public, keys[0])


def _local_key(folder: Path) -> bytes:
    """Local mode's token-cache key, made once and kept beside the database (owner-readable only)."""
    path = folder / "token-cache.key"
    if not path.exists():
        path.write_bytes(Fernet.generate_key())
        path.chmod(0o600)
    return path.read_bytes().strip()
