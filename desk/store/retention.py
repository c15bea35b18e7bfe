"""How long each table keeps its rows. Housekeeping (desk/directory_service.py, an hourly job) applies it, so
nothing grows without bound but the desk's records.

Pruned (each rule one DELETE by age or state):
- inbound_activities: 2 days (conversations.prune_inbound): Teams redelivers within minutes.
- sign_ins: 15 minutes (tokens.prune_sign_ins): the life of a sign-in link.
- drafts (new-ticket forms): 30 days after the form was opened, submitted or not (conversations.prune_drafts);
  the ticket keeps the submission's idempotency key, so a late repeat still cannot create a second ticket.
- escalations never submitted (no sr_id): 30 days after the form was opened.
- bot_state (dialog state per conversation, finished or abandoned): 30 days after its last write.
- meta after-hours marks: once support has reopened (the mark only stops a second notice in the same closed
  period; the next period has another reopening time).
- leases: a day after they expired (an expired lease is free anyway; this drops jobs that no longer exist).
- instances: a day after their heartbeat lapsed (a process that died without removing it; a lapsed heartbeat and
  a missing one mean the same, the day keeps it for whoever investigates the death).
- outbox: sent messages 30 days after delivery (outbox.prune_sent), failed ones 90 days after they were queued
  (kept for inspection), pending ones never.
- rate_limit_slots and rate_limits (the shared rate limiter's log): a day after the slot, or after the key's next slot
  opened (ratelimit.prune): no limit spans more than an hour.
- sla_alerts: 90 days after their ticket closed (a ticket reopened within that time is not alerted twice).
- incidents the monitor saw resolved: 90 days after that, with their cards in posted_cards and their noise controls
  in incident_controls (an incident going on keeps its card, however old). posted_cards holds incident cards only:
  ticket cards are on the ticket row.
- storm_tickets (which cards a storm kept back): 30 days after the card was released, unless its channel's storm is
  still on (its summary lists them); the storms row, one per channel, stays.
- bulk_replies never sent: 30 days after the form was opened (a sent one is a record: how many customers it told).
- gdap_warnings: 90 days after sending. By then the relationship has ended more than 30 days ago (no more warnings
  are due) or was extended (a new end date, a new key), so no warning can be sent twice.
- psa_webhooks (the PSA bridge's deliveries, pruned by its sender: webhooks.prune): delivered ones 7 days after
  delivery, failed and dropped ones 90 days after they were queued, pending ones never; psa_nonces after the replay
  window.
- user_tokens: 90 days after the cache was last renewed: Entra ID refresh tokens expire after 90 days unused
  (https://learn.microsoft.com/en-us/entra/identity-platform/refresh-tokens#token-lifetime), so such a cache
  only holds dead tokens.

Kept: tickets, ticket_events, ticket_incidents, filed escalations, sr_clocks and sent bulk replies (the desk's records
and audit trail); triage_routes (configuration); message_center_digests (one row a week: it stops a second digest);
conversations and technicians (one row per conversation or person, updated in place, needed to reach them);
meta's other keys (a few named values); schema_version.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from desk.clock import to_iso
from desk.store.database import Cx

DIALOG_STATE = timedelta(days=30)
ESCALATION_FORMS = timedelta(days=30)
EXPIRED_LEASES = timedelta(days=1)
FAILED_MESSAGES = timedelta(days=90)
CLOSED_TICKET_ALERTS = timedelta(days=90)
RESOLVED_INCIDENTS = timedelta(days=90)
RATE_LIMIT_SLOTS = timedelta(days=1)
UNUSED_SIGN_INS = timedelta(days=90)
RELEASED_STORM_CARDS = timedelta(days=30)
UNSENT_BULK_REPLIES = timedelta(days=30)
SENT_GDAP_WARNINGS = timedelta(days=90)


def prune_state(cx: Cx, now: datetime, keep: timedelta = DIALOG_STATE) -> int:
    """Forget dialog state nobody wrote for `keep`."""
    return cx.execute("DELETE FROM bot_state WHERE updated_at < ?", (to_iso(now - keep),))


def prune_passed_marks(cx: Cx, prefix: str, now: datetime) -> int:
    """Forget meta keys under `prefix` whose value, an instant, has passed."""
    return cx.execute(
        # The prefix's length is passed, not computed in SQL: PostgreSQL cannot type `length(?)`.
        "DELETE FROM meta WHERE substr(key, 1, ?) = ? AND value < ?",
        (len(prefix), prefix, to_iso(now)),
    )


def prune_escalation_forms(cx: Cx, now: datetime, keep: timedelta = ESCALATION_FORMS) -> int:
    """Forget escalation forms never submitted (not those whose filing began: its outcome may still be open)."""
    return cx.execute(
        "DELETE FROM escalations WHERE sr_id IS NULL AND filing_at IS NULL AND created_at < ?", (to_iso(now - keep),)
    )


def prune_leases(cx: Cx, now: datetime, keep: timedelta = EXPIRED_LEASES) -> int:
    """Forget leases expired for `keep`."""
    return cx.execute("DELETE FROM leases WHERE expires_at < ?", (to_iso(now - keep),))


def prune_instances(cx: Cx, now: datetime, keep: timedelta = EXPIRED_LEASES) -> int:
    """Forget heartbeats lapsed for `keep`."""
    return cx.execute("DELETE FROM instances WHERE alive_until < ?", (to_iso(now - keep),))


def prune_failed(cx: Cx, now: datetime, keep: timedelta = FAILED_MESSAGES) -> int:
    """Forget messages given up on, `keep` after they were queued."""
    return cx.execute("DELETE FROM outbox WHERE status = 'failed' AND created_at < ?", (to_iso(now - keep),))


def prune_sla_alerts(cx: Cx, now: datetime, keep: timedelta = CLOSED_TICKET_ALERTS) -> int:
    """Forget the alerts of tickets closed for `keep`."""
    return cx.execute(
        "DELETE FROM sla_alerts WHERE ticket_id IN (SELECT id FROM tickets WHERE status = 'closed' AND closed_at < ?)",
        (to_iso(now - keep),),
    )


def prune_incidents(cx: Cx, card_prefix: str, now: datetime, keep: timedelta = RESOLVED_INCIDENTS) -> int:
    """Forget incidents resolved for `keep`, their cards (posted under `card_prefix` + id) and noise controls."""
    cutoff = to_iso(now - keep)
    cx.execute(
        "DELETE FROM posted_cards WHERE key IN (SELECT ? || id FROM incidents WHERE resolved = 1 AND updated_at < ?)",
        (card_prefix, cutoff),
    )
    cx.execute(
        "DELETE FROM incident_controls WHERE incident_id IN (SELECT id FROM incidents WHERE resolved = 1"
        " AND updated_at < ?)",
        (cutoff,),
    )
    return cx.execute("DELETE FROM incidents WHERE resolved = 1 AND updated_at < ?", (cutoff,))


def prune_token_caches(cx: Cx, now: datetime, keep: timedelta = UNUSED_SIGN_INS) -> int:
    """Forget technicians' token caches not renewed for `keep` (their refresh tokens have expired)."""
    return cx.execute("DELETE FROM user_tokens WHERE updated_at < ?", (to_iso(now - keep),))


def prune_storm_cards(cx: Cx, now: datetime, keep: timedelta = RELEASED_STORM_CARDS) -> int:
    """Forget which cards a storm kept back, `keep` after each was released, unless its channel's storm is on."""
    return cx.execute(
        "DELETE FROM storm_tickets WHERE released_at < ? AND NOT EXISTS (SELECT 1 FROM storms s"
        " WHERE s.conversation_key = storm_tickets.conversation_key AND s.seq = storm_tickets.seq AND s.active = 1)",
        (to_iso(now - keep),),
    )


def prune_bulk_reply_forms(cx: Cx, now: datetime, keep: timedelta = UNSENT_BULK_REPLIES) -> int:
    """Forget bulk reply forms never sent, `keep` after they were opened."""
    return cx.execute("DELETE FROM bulk_replies WHERE sent_at IS NULL AND created_at < ?", (to_iso(now - keep),))


def prune_gdap_warnings(cx: Cx, now: datetime, keep: timedelta = SENT_GDAP_WARNINGS) -> int:
    """Forget GDAP expiry warnings sent `keep` ago (none of them can be due again: see the module's note)."""
    return cx.execute("DELETE FROM gdap_warnings WHERE sent_at < ?", (to_iso(now - keep),))
