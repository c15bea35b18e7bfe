"""Schema migrations, applied in order; never edit a released migration, append a new one.

A statement is SQLite's spelling, translated for PostgreSQL by desk.store.dialect.ddl; where the engines need
different statements (full-text search, generated columns), it is a mapping from dialect to statement, and a
dialect it does not name skips it."""

from __future__ import annotations

from collections.abc import Mapping

Statement = str | Mapping[str, str]

MIGRATIONS: list[list[Statement]] = [
    # 1: foundation
    [
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        """CREATE TABLE conversations (
            key TEXT PRIMARY KEY,
            reference TEXT NOT NULL,
            service_url TEXT NOT NULL,
            tenant_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            user_aad_id TEXT,
            locale TEXT,
            blocked_at TEXT,
            blocked_reason TEXT,
            updated_at TEXT NOT NULL)""",
        "CREATE INDEX conversations_user ON conversations (user_aad_id)",
        """CREATE TABLE drafts (
            id TEXT PRIMARY KEY,
            owner_aad_id TEXT NOT NULL,
            tenant_id TEXT NOT NULL,
            fields TEXT NOT NULL,
            ticket_id INTEGER,
            created_at TEXT NOT NULL)""",
        """CREATE TABLE tickets (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            number TEXT NOT NULL UNIQUE,
            idempotency_key TEXT NOT NULL UNIQUE,
            customer_tenant_id TEXT NOT NULL,
            customer_name TEXT NOT NULL,
            requester_aad_id TEXT NOT NULL,
            requester_name TEXT NOT NULL,
            requester_email TEXT NOT NULL,
            requester_conversation TEXT NOT NULL,
            product TEXT NOT NULL,
            service TEXT NOT NULL,
            severity TEXT NOT NULL,
            title TEXT NOT NULL,
            description TEXT NOT NULL,
            contact TEXT NOT NULL,
            status TEXT NOT NULL,
            assignee_aad_id TEXT,
            assignee_name TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            updated_by TEXT NOT NULL,
            first_response_due TEXT,
            resolution_due TEXT,
            first_response_at TEXT,
            resolved_at TEXT,
            triage_activity_id TEXT,
            customer_card_activity_id TEXT,
            version INTEGER NOT NULL DEFAULT 1)""",
        "CREATE INDEX tickets_requester ON tickets (customer_tenant_id, requester_aad_id)",
        "CREATE INDEX tickets_status ON tickets (status)",
        """CREATE TABLE ticket_events (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            ticket_id INTEGER NOT NULL REFERENCES tickets (id),
            at TEXT NOT NULL,
            actor_aad_id TEXT NOT NULL,
            actor_name TEXT NOT NULL,
            kind TEXT NOT NULL,
            field TEXT,
            old_value TEXT,
            new_value TEXT,
            text TEXT)""",
        "CREATE INDEX ticket_events_ticket ON ticket_events (ticket_id, id)",
        """CREATE TABLE outbox (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            conversation_key TEXT NOT NULL,
            operation TEXT NOT NULL,
            activity TEXT NOT NULL,
            ticket_id INTEGER,
            card TEXT,
            target_activity_id TEXT,
            status TEXT NOT NULL DEFAULT 'pending',
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at TEXT NOT NULL,
            activity_id TEXT,
            last_error TEXT,
            created_at TEXT NOT NULL,
            sent_at TEXT)""",
        "CREATE INDEX outbox_pending ON outbox (status, conversation_key, id)",
        "CREATE TABLE inbound_activities (key TEXT PRIMARY KEY, received_at TEXT NOT NULL)",
        "CREATE TABLE bot_state (key TEXT PRIMARY KEY, etag INTEGER NOT NULL, document TEXT NOT NULL)",
        "CREATE TABLE leases (name TEXT PRIMARY KEY, holder TEXT NOT NULL, expires_at TEXT NOT NULL)",
    ],
    # 2: triage — resolution and rating on the ticket, the technician directory, SLA alerts sent
    [
        "ALTER TABLE tickets ADD COLUMN resolution TEXT",
        "ALTER TABLE tickets ADD COLUMN closed_at TEXT",
        "ALTER TABLE tickets ADD COLUMN rating INTEGER",
        "ALTER TABLE tickets ADD COLUMN rating_comment TEXT",
        "ALTER TABLE tickets ADD COLUMN last_customer_message_at TEXT",
        """CREATE TABLE technicians (
            aad_id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            user_id TEXT,
            email TEXT,
            last_seen TEXT NOT NULL)""",
        """CREATE TABLE sla_alerts (
            ticket_id INTEGER NOT NULL REFERENCES tickets (id),
            kind TEXT NOT NULL,
            due TEXT NOT NULL,
            sent_at TEXT NOT NULL,
            PRIMARY KEY (ticket_id, kind, due))""",
    ],
    # 3: service health — incidents the monitor posted, cards known by key, incidents linked to tickets
    [
        """CREATE TABLE incidents (
            id TEXT PRIMARY KEY,
            title TEXT NOT NULL,
            service TEXT NOT NULL,
            classification TEXT NOT NULL,
            status TEXT NOT NULL,
            tenants TEXT NOT NULL,
            fingerprint TEXT NOT NULL,
            resolved INTEGER NOT NULL DEFAULT 0,
            first_seen TEXT NOT NULL,
            updated_at TEXT NOT NULL)""",
        """CREATE TABLE posted_cards (
            key TEXT PRIMARY KEY,
            conversation_key TEXT NOT NULL,
            activity_id TEXT NOT NULL)""",
        """CREATE TABLE ticket_incidents (
            ticket_id INTEGER NOT NULL REFERENCES tickets (id),
            incident_id TEXT NOT NULL,
            title TEXT NOT NULL,
            status TEXT NOT NULL,
            latest TEXT,
            linked_at TEXT NOT NULL,
            PRIMARY KEY (ticket_id, incident_id))""",
        "ALTER TABLE outbox ADD COLUMN card_key TEXT",
        "ALTER TABLE outbox ADD COLUMN thread_id TEXT",
    ],
    # 4: escalation — technicians' Partner Center sign-ins (encrypted), escalation forms, the ticket's SR
    [
        """CREATE TABLE user_tokens (
            aad_id TEXT PRIMARY KEY,
            username TEXT NOT NULL,
            cache TEXT NOT NULL,
            updated_at TEXT NOT NULL)""",
        """CREATE TABLE sign_ins (
            state TEXT PRIMARY KEY,
            aad_id TEXT NOT NULL,
            flow TEXT NOT NULL,
            conversation_key TEXT NOT NULL,
            resume TEXT,
            created_at TEXT NOT NULL)""",
        """CREATE TABLE escalations (
            id TEXT PRIMARY KEY,
            ticket_id INTEGER NOT NULL REFERENCES tickets (id),
            technician_aad_id TEXT NOT NULL,
            fields TEXT NOT NULL,
            sr_id TEXT,
            created_at TEXT NOT NULL)""",
        "ALTER TABLE tickets ADD COLUMN sr_id TEXT",
        "ALTER TABLE tickets ADD COLUMN sr_status TEXT",
        "ALTER TABLE tickets ADD COLUMN sr_vehicle TEXT",
        "ALTER TABLE tickets ADD COLUMN sr_escalated_by TEXT",
        "ALTER TABLE tickets ADD COLUMN sr_notes_seen INTEGER NOT NULL DEFAULT 0",
        "CREATE INDEX tickets_sr ON tickets (sr_id)",
    ],
    # 5: the resolution clock stops while a ticket waits on the customer.
    [
        "ALTER TABLE tickets ADD COLUMN sla_paused_at TEXT",
        "ALTER TABLE tickets ADD COLUMN sla_paused_seconds INTEGER NOT NULL DEFAULT 0",
        # Tickets already waiting stand from when they started to wait (their last such status change).
        """UPDATE tickets SET sla_paused_at = COALESCE(
            (SELECT MAX(e.at) FROM ticket_events e
             WHERE e.ticket_id = tickets.id AND e.kind = 'status' AND e.new_value = 'waiting_on_customer'),
            updated_at)
        WHERE status = 'waiting_on_customer'""",
    ],
    # 6: retention — bot state documents carry when they were last written, so abandoned ones can be pruned.
    [
        "ALTER TABLE bot_state ADD COLUMN updated_at TEXT",
        # Documents written before this version count from the upgrade (in to_iso's format), not from the epoch.
        "UPDATE bot_state SET updated_at = strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000+00:00'",
    ],
    # 7: the sender counts Teams' windows of minutes from what it delivered, so they hold across restarts and instances
    ["CREATE INDEX outbox_sent ON outbox (conversation_key, status, sent_at)"],
    # 8: a triage channel that refuses the bot holds its messages and is probed with backoff; refusals are counted
    ["ALTER TABLE conversations ADD COLUMN probes INTEGER NOT NULL DEFAULT 0"],
    # 9: an escalation's filing survives retries, restarts and other instances: the attempt (its MS-RequestId), since
    # when its outcome is open (Partner Center may hold the request), until when an attempt runs.
    [
        "ALTER TABLE escalations ADD COLUMN attempt INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE escalations ADD COLUMN filing_at TEXT",
        "ALTER TABLE escalations ADD COLUMN filing_until TEXT",
        "CREATE INDEX escalations_ticket ON escalations (ticket_id)",
    ],
    # 10: an inbound activity counts as processed once its turn completed (a card action's answer kept with it for
    # its redeliveries); each ticket change a turn applies is recorded with the change, so redelivering a turn
    # that died is processed again without applying anything twice.
    [
        "ALTER TABLE inbound_activities ADD COLUMN response TEXT",
        "CREATE TABLE inbound_changes (key TEXT PRIMARY KEY, applied_at TEXT NOT NULL)",
        "CREATE INDEX inbound_changes_applied ON inbound_changes (applied_at)",
    ],
    # 11: a turn claims its inbound activity while it runs (which process, until when), so a copy Teams sends while
    # the first is still running is not processed a second time.
    [
        "ALTER TABLE inbound_activities ADD COLUMN holder TEXT",
        "ALTER TABLE inbound_activities ADD COLUMN running_until TEXT",
    ],
    # 12: each process renews its heartbeat here; a turn claimed by a process whose heartbeat lapsed is taken over
    # at once (it died), without waiting for the claim's lease.
    ["CREATE TABLE instances (holder TEXT PRIMARY KEY, alive_until TEXT NOT NULL)"],
    # 13: several instances share the outbox and Microsoft's limits. A sender claims a conversation's oldest pending
    # message (which sender, until when: an expired claim is taken over); the shared rate limiter keeps each key's
    # recent slots and when its next slot opens. Messages delivered before this version count in their
    # conversation's windows (the hour of a personal chat), so an upgrade does not reset them.
    [
        "ALTER TABLE outbox ADD COLUMN claimed_by TEXT",
        "ALTER TABLE outbox ADD COLUMN claimed_until TEXT",
        "CREATE TABLE rate_limit_slots (key TEXT NOT NULL, at TEXT NOT NULL)",
        "CREATE INDEX rate_limit_slots_key ON rate_limit_slots (key, at)",
        "CREATE TABLE rate_limits (key TEXT PRIMARY KEY, next_at TEXT NOT NULL)",
        """INSERT INTO rate_limit_slots (key, at)
        SELECT 'teams:conversation:' || conversation_key, sent_at FROM outbox
        WHERE status = 'sent' AND sent_at IS NOT NULL""",
    ],
    # 14: the database does the queue's work. next_due_at, the SLA deadline that matters now (Ticket.next_due: first
    # response until answered, then resolution, none while the resolution clock stands), is a generated column: the
    # engine keeps it right on every write, in the same statement, whoever writes (ISO texts in UTC sort as their
    # instants do). next_alert_at, when the SLA check next has something to send for the ticket, is the desk's
    # (desk/sla_plan.py: business hours and the alerts already sent decide it); rows from before stay NULL until the
    # first check plans them all. Partial indexes over open tickets serve the queue's order and filters, the counts
    # per customer, the check and the tickets still without a triage card. Full-text search: SQLite's FTS5 over the
    # ticket's words (an external-content table kept in step by triggers), PostgreSQL's tsvector (a generated
    # column, GIN-indexed), both built for the rows already there.
    [
        {
            "sqlite": "ALTER TABLE tickets ADD COLUMN next_due_at TEXT GENERATED ALWAYS AS (CASE WHEN"
            " first_response_at IS NULL AND first_response_due IS NOT NULL THEN first_response_due WHEN sla_paused_at"
            " IS NULL THEN resolution_due ELSE NULL END) VIRTUAL",
            "postgresql": "ALTER TABLE tickets ADD COLUMN next_due_at TEXT GENERATED ALWAYS AS (CASE WHEN"
            " first_response_at IS NULL AND first_response_due IS NOT NULL THEN first_response_due WHEN sla_paused_at"
            " IS NULL THEN resolution_due ELSE NULL END) STORED",
        },
        "ALTER TABLE tickets ADD COLUMN next_alert_at TEXT",
        "CREATE INDEX tickets_queue ON tickets (next_due_at, id) WHERE status NOT IN ('resolved', 'closed')",
        # Each filter's index in the queue's order, with the other filters' columns after it: a combined filter's
        # count and page are then read from the index alone.
        "CREATE INDEX tickets_queue_assignee ON tickets (assignee_aad_id, next_due_at, id, severity)"
        " WHERE status NOT IN ('resolved', 'closed')",
        "CREATE INDEX tickets_queue_severity ON tickets (severity, next_due_at, id, assignee_aad_id)"
        " WHERE status NOT IN ('resolved', 'closed')",
        "CREATE INDEX tickets_open_customer ON tickets (customer_name, next_due_at, id, assignee_aad_id, severity)"
        " WHERE status NOT IN ('resolved', 'closed')",
        "CREATE INDEX tickets_open_tenant ON tickets (customer_tenant_id) WHERE status NOT IN ('resolved', 'closed')",
        "CREATE INDEX tickets_next_alert ON tickets (next_alert_at) WHERE next_alert_at IS NOT NULL",
        # Open tickets whose triage card was never posted (`triage here` posts them): a handful, not a table scan.
        "CREATE INDEX tickets_without_card ON tickets (id)"
        " WHERE triage_activity_id IS NULL AND status NOT IN ('resolved', 'closed')",
        {
            "sqlite": "CREATE VIRTUAL TABLE tickets_fts USING fts5(title, description, customer_name, requester_name,"
            " content='tickets', content_rowid='id', tokenize='unicode61 remove_diacritics 0')",
            "postgresql": "ALTER TABLE tickets ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ("
            "setweight(to_tsvector('simple', regexp_replace(title, '[^[:alnum:]]+', ' ', 'g')), 'A')"
            " || setweight(to_tsvector('simple', regexp_replace(customer_name || ' ' || requester_name,"
            " '[^[:alnum:]]+', ' ', 'g')), 'B')"
            " || setweight(to_tsvector('simple', regexp_replace(description, '[^[:alnum:]]+', ' ', 'g')), 'D')"
            ") STORED",
        },
        {
            "sqlite": "CREATE TRIGGER tickets_fts_insert AFTER INSERT ON tickets BEGIN"
            " INSERT INTO tickets_fts (rowid, title, description, customer_name, requester_name)"
            " VALUES (new.id, new.title, new.description, new.customer_name, new.requester_name); END",
            "postgresql": "CREATE INDEX tickets_search ON tickets USING GIN (search_vector)",
        },
        {
            "sqlite": "CREATE TRIGGER tickets_fts_delete AFTER DELETE ON tickets BEGIN"
            " INSERT INTO tickets_fts (tickets_fts, rowid, title, description, customer_name, requester_name)"
            " VALUES ('delete', old.id, old.title, old.description, old.customer_name, old.requester_name); END",
        },
        {
            "sqlite": "CREATE TRIGGER tickets_fts_update AFTER UPDATE OF title, description, customer_name,"
            " requester_name ON tickets BEGIN"
            " INSERT INTO tickets_fts (tickets_fts, rowid, title, description, customer_name, requester_name)"
            " VALUES ('delete', old.id, old.title, old.description, old.customer_name, old.requester_name);"
            " INSERT INTO tickets_fts (rowid, title, description, customer_name, requester_name)"
            " VALUES (new.id, new.title, new.description, new.customer_name, new.requester_name); END",
        },
        {"sqlite": "INSERT INTO tickets_fts (tickets_fts) VALUES ('rebuild')"},
        # Open tickets are the rows changed all day and the rows the queue counts with index-only scans, which read
        # the table for pages changed since the last vacuum: vacuum after 2% of the tickets changed, not 20%.
        # https://www.postgresql.org/docs/15/sql-createtable.html#SQL-CREATETABLE-STORAGE-PARAMETERS
        {
            "postgresql": "ALTER TABLE tickets SET (autovacuum_vacuum_scale_factor = 0.02,"
            " autovacuum_vacuum_insert_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.02)"
        },
    ],
    # 15: a slot the outbox sender takes names its send (`owner`), so that the slot can be moved to when Teams
    # answered: Teams counts a send on arrival, which may be after the claim (bot/outbox/sender.py).
    [
        "ALTER TABLE rate_limit_slots ADD COLUMN owner TEXT",
        "CREATE INDEX rate_limit_slots_owner ON rate_limit_slots (owner)",
    ],
    # 16: Microsoft's response clock — one row per filed service request: its plan and severity at filing, when the
    # desk last read it, when Microsoft first responded, and the late note (sent at most once, recorded with it).
    [
        "CREATE TABLE sr_clocks (ticket_id INTEGER NOT NULL REFERENCES tickets (id), sr_id TEXT NOT NULL,"
        " plan TEXT NOT NULL, severity TEXT NOT NULL, filed_at TEXT NOT NULL, checked_at TEXT, responded_at TEXT,"
        " late_noted_at TEXT, PRIMARY KEY (ticket_id, sr_id))",
    ],
    # 17: Message center — the weekly digest queued per ISO week (desk/store/digests.py), one row each.
    [
        "CREATE TABLE message_center_digests (week TEXT PRIMARY KEY, conversation_key TEXT NOT NULL,"
        " sent_at TEXT NOT NULL)",
    ],
    # 18: routing — several triage channels: routes (customer, product, severity -> a channel, with the name Teams
    # gave the channel when it did) and, on each ticket, the channel its triage card lives in. Tickets whose card was
    # already posted live in the default triage channel.
    [
        """CREATE TABLE triage_routes (
            id TEXT PRIMARY KEY,
            kind TEXT NOT NULL,
            value TEXT NOT NULL,
            label TEXT NOT NULL,
            channel_key TEXT NOT NULL,
            channel_name TEXT,
            created_by TEXT NOT NULL,
            created_at TEXT NOT NULL,
            UNIQUE (kind, value))""",
        "ALTER TABLE tickets ADD COLUMN triage_channel TEXT",
        "UPDATE tickets SET triage_channel = (SELECT value FROM meta WHERE key = 'triage_channel')"
        " WHERE triage_activity_id IS NOT NULL",
    ],
    # 19: GDAP awareness — the expiry warnings sent, one per relationship, threshold ("30d", "7d", "1d", "ended") and
    # end date (an extended relationship is warned about again before its new end), recorded with the outbox message.
    [
        """CREATE TABLE gdap_warnings (
            relationship_id TEXT NOT NULL,
            threshold TEXT NOT NULL,
            end_key TEXT NOT NULL,
            customer_tenant_id TEXT NOT NULL,
            sent_at TEXT NOT NULL,
            PRIMARY KEY (relationship_id, threshold, end_key))""",
    ],
    # 20: incident noise control + bulk reply — per incident: the card's last monitor post (for coalescing), its
    # base card (re-rendered by technicians' actions), acknowledgement, snooze and muted customers; bulk replies to
    # an incident's tickets, one row per reply form (its id is the idempotency key of the sends).
    [
        """CREATE TABLE incident_controls (
            incident_id TEXT PRIMARY KEY,
            card TEXT,
            customers TEXT NOT NULL DEFAULT '[]',
            resolved INTEGER NOT NULL DEFAULT 0,
            next_update_at TEXT,
            last_card_at TEXT,
            acked_by TEXT,
            acked_by_name TEXT,
            acked_at TEXT,
            snoozed_until TEXT,
            snoozed_by_name TEXT,
            muted TEXT NOT NULL DEFAULT '[]')""",
        """CREATE TABLE bulk_replies (
            id TEXT PRIMARY KEY,
            incident_id TEXT NOT NULL,
            created_by TEXT NOT NULL,
            created_at TEXT NOT NULL,
            text TEXT,
            sent_at TEXT,
            customers INTEGER,
            tickets INTEGER,
            skipped INTEGER)""",
        "CREATE INDEX ticket_incidents_incident ON ticket_incidents (incident_id)",
    ],
    # 21: storm mode — a triage channel whose queue holds more than Teams lets through in about a minute defers new
    # tickets' cards (storm_tickets) and gets one summary card, sent ahead of its queue (outbox.priority); replies in
    # a deferred card's thread wait in the outbox as 'deferred' until the card is released (desk/storm.py).
    [
        """CREATE TABLE storms (
            conversation_key TEXT PRIMARY KEY,
            seq INTEGER NOT NULL,
            active INTEGER NOT NULL,
            started_at TEXT NOT NULL,
            ended_at TEXT,
            summary_at TEXT,
            summary_digest TEXT)""",
        """CREATE TABLE storm_tickets (
            conversation_key TEXT NOT NULL,
            ticket_id INTEGER NOT NULL,
            seq INTEGER NOT NULL,
            critical INTEGER NOT NULL,
            deferred_at TEXT NOT NULL,
            released_at TEXT,
            PRIMARY KEY (conversation_key, ticket_id))""",
        "CREATE INDEX storm_tickets_waiting ON storm_tickets (conversation_key, released_at, critical, ticket_id)",
        "CREATE INDEX storm_tickets_ticket ON storm_tickets (ticket_id, released_at)",
        "CREATE INDEX storm_tickets_seq ON storm_tickets (conversation_key, seq)",
        "ALTER TABLE outbox ADD COLUMN priority INTEGER NOT NULL DEFAULT 0",
        "CREATE INDEX outbox_priority ON outbox (status, conversation_key, priority, id)",
    ],
    # 22: answers before tickets — each answer the desk offered a customer before a ticket, and what came of it
    # ('solved': the customer said it solved their problem; 'needed_help': they opened a ticket anyway, ticket_id
    # then names it). `source` is 'kb' (an article or a published answer, article_id its key) or 'incident' (an
    # active incident in their tenant, article_id the incident id). Reports count deflections from it.
    [
        """CREATE TABLE deflections (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            offer_id TEXT NOT NULL UNIQUE,
            tenant_id TEXT NOT NULL,
            requester_aad_id TEXT NOT NULL,
            source TEXT NOT NULL,
            article_id TEXT NOT NULL,
            offered_at TEXT NOT NULL,
            outcome TEXT,
            outcome_at TEXT,
            ticket_id INTEGER)""",
        "CREATE INDEX deflections_tenant ON deflections (tenant_id, offered_at)",
        "CREATE INDEX deflections_offered ON deflections (offered_at)",
    ],
    # 23: PSA bridge (issue 15, part C) — the webhook URLs configured (written at start-up, so that recording a ticket
    # event can queue its deliveries in the same transaction), one delivery row per (URL, event) with its claim, retry
    # and outcome, and the signatures of the PSA's calls seen within the replay window.
    [
        "CREATE TABLE psa_targets (url TEXT PRIMARY KEY, added_at TEXT NOT NULL)",
        """CREATE TABLE psa_webhooks (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            target TEXT NOT NULL,
            event_id INTEGER NOT NULL,
            ticket_id INTEGER NOT NULL,
            payload TEXT NOT NULL,
            state TEXT NOT NULL DEFAULT 'pending',
            attempts INTEGER NOT NULL DEFAULT 0,
            next_at TEXT NOT NULL,
            claimed_by TEXT,
            claimed_until TEXT,
            last_error TEXT,
            created_at TEXT NOT NULL,
            delivered_at TEXT,
            UNIQUE (target, event_id))""",
        "CREATE INDEX psa_webhooks_heads ON psa_webhooks (state, target, ticket_id, event_id)",
        "CREATE TABLE psa_nonces (digest TEXT PRIMARY KEY, seen_at TEXT NOT NULL)",
        "CREATE INDEX psa_nonces_seen ON psa_nonces (seen_at)",
    ],
    # 24: reports — each figure is one aggregate query over a period (issue 15 part A, desk/store/reports.py): indexes
    # on when tickets were opened and resolved (per tenant for a customer's own report) and when requests were filed
    # with Microsoft; the weekly report queued once per ISO week (like migration 17); CSV exports a link or a file
    # consent card names by id (who asked, whose figures, which period, until when), never carrying the data.
    [
        "CREATE INDEX tickets_created ON tickets (created_at)",
        # A ticket is done when resolved, or closed without a resolution: the reports' one expression for it.
        "CREATE INDEX tickets_done ON tickets ((COALESCE(resolved_at, closed_at)))",
        "CREATE INDEX tickets_tenant_created ON tickets (customer_tenant_id, created_at)",
        "CREATE INDEX tickets_tenant_done ON tickets (customer_tenant_id, (COALESCE(resolved_at, closed_at)))",
        "CREATE INDEX sr_clocks_filed ON sr_clocks (filed_at)",
        "CREATE TABLE weekly_reports (week TEXT PRIMARY KEY, conversation_key TEXT NOT NULL, sent_at TEXT NOT NULL)",
        """CREATE TABLE report_exports (
            id TEXT PRIMARY KEY,
            requested_by TEXT NOT NULL,
            tenant_id TEXT,
            for_customer INTEGER NOT NULL,
            period TEXT NOT NULL,
            starts_at TEXT NOT NULL,
            ends_at TEXT NOT NULL,
            locale TEXT,
            created_at TEXT NOT NULL,
            expires_at TEXT NOT NULL)""",
        "CREATE INDEX report_exports_expires ON report_exports (expires_at)",
    ],
    # 25: knowledge base (issue 15, part B: answers before tickets) — articles from the KB_DIR folder (source 'file':
    # its path and content hash) and answers technicians published from resolved tickets (source 'ticket': the
    # ticket and who published it), each in English or Russian, with a full-text index of its own: SQLite's FTS5
    # (porter stemming for English; Cyrillic kept whole, prefix terms cover Russian endings), PostgreSQL's tsvector
    # stemmed by the article's language ('english' or 'russian') plus 'simple' for prefixes, GIN-indexed. The offers
    # the desk made before one ticket form share its draft (draft_id), so "I still need help" settles them together.
    [
        """CREATE TABLE kb_articles (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            source TEXT NOT NULL,
            path TEXT UNIQUE,
            content_hash TEXT,
            ticket_id INTEGER UNIQUE,
            published_by TEXT,
            published_by_name TEXT,
            title TEXT NOT NULL,
            body TEXT NOT NULL,
            language TEXT NOT NULL,
            updated_at TEXT NOT NULL)""",
        {
            "sqlite": "CREATE VIRTUAL TABLE kb_fts USING fts5(title, body, content='kb_articles', content_rowid='id',"
            " tokenize='porter unicode61 remove_diacritics 0')",
            "postgresql": "ALTER TABLE kb_articles ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ("
            "setweight(to_tsvector(CASE WHEN language = 'ru' THEN 'russian'::regconfig ELSE 'english'::regconfig END,"
            " regexp_replace(title, '[^[:alnum:]]+', ' ', 'g')), 'A')"
            " || setweight(to_tsvector('simple', regexp_replace(title, '[^[:alnum:]]+', ' ', 'g')), 'A')"
            " || setweight(to_tsvector(CASE WHEN language = 'ru' THEN 'russian'::regconfig ELSE 'english'::regconfig"
            " END, regexp_replace(body, '[^[:alnum:]]+', ' ', 'g')), 'D')"
            " || setweight(to_tsvector('simple', regexp_replace(body, '[^[:alnum:]]+', ' ', 'g')), 'D')"
            ") STORED",
        },
        {
            "sqlite": "CREATE TRIGGER kb_fts_insert AFTER INSERT ON kb_articles BEGIN"
            " INSERT INTO kb_fts (rowid, title, body) VALUES (new.id, new.title, new.body); END",
            "postgresql": "CREATE INDEX kb_articles_search ON kb_articles USING GIN (search_vector)",
        },
        {
            "sqlite": "CREATE TRIGGER kb_fts_delete AFTER DELETE ON kb_articles BEGIN"
            " INSERT INTO kb_fts (kb_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body); END",
        },
        {
            "sqlite": "CREATE TRIGGER kb_fts_update AFTER UPDATE OF title, body ON kb_articles BEGIN"
            " INSERT INTO kb_fts (kb_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body);"
            " INSERT INTO kb_fts (rowid, title, body) VALUES (new.id, new.title, new.body); END",
        },
        "ALTER TABLE deflections ADD COLUMN draft_id TEXT",
        "CREATE INDEX deflections_draft ON deflections (draft_id)",
    ],
    # 26: readiness (issue 16) — each customer's last readiness state and when it was checked (what `customers`
    # shows), and the state the weekly check last compared against and the ISO week it did (a worsening is posted
    # once: the row's conditional update decides which round, instance or restart posts it).
    [
        """CREATE TABLE readiness (
            tenant_id TEXT PRIMARY KEY,
            state TEXT NOT NULL,
            checked_at TEXT NOT NULL,
            reported_state TEXT,
            reported_week TEXT)""",
    ],
    # 27: roll-out (issue 16) — a roll-out per confirmation (its card, its state, its lease) and one row per chosen
    # person with what happened to them; `welcomes` records each person greeted on install, once.
    [
        """CREATE TABLE rollouts (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            tenant_id TEXT NOT NULL,
            customer_name TEXT NOT NULL,
            target TEXT NOT NULL,
            state TEXT NOT NULL,
            created_by TEXT NOT NULL,
            conversation_key TEXT NOT NULL,
            locale TEXT,
            app_id TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            progress_at TEXT)""",
        """CREATE TABLE rollout_people (
            rollout_id INTEGER NOT NULL REFERENCES rollouts (id),
            user_id TEXT NOT NULL,
            name TEXT NOT NULL,
            state TEXT NOT NULL,
            reason TEXT,
            attempts INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (rollout_id, user_id))""",
        "CREATE INDEX rollout_people_state ON rollout_people (rollout_id, state)",
        """CREATE TABLE welcomes (
            tenant_id TEXT NOT NULL,
            user_id TEXT NOT NULL,
            conversation_key TEXT NOT NULL,
            welcomed_at TEXT NOT NULL,
            PRIMARY KEY (tenant_id, user_id))""",
    ],
]
