"""What the emulated customer tenants hold for onboarding: their directories, org app catalogs and per-user app
installations, the bot install events those installations cause, and Graph's Teams pace per app per tenant."""

from __future__ import annotations

import math
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from emulator.demo_directory import (
    CatalogApp,
    DirectoryGroup,
    DirectoryUser,
    demo_catalogs,
    demo_directory,
)

# Graph's Microsoft Teams service limits, per app per tenant: "GET team, channel, tab, installedApps, appCatalogs"
# 30 rps, "POST/PUT channel, tab, installedApps, appCatalogs" 30 rps
# (https://learn.microsoft.com/en-us/graph/throttling-limits#microsoft-teams-service-limits). (requests, seconds).
TEAMS_LIMITS: tuple[tuple[int, float], ...] = ((30, 1.0),)


class AlreadyInstalled(Exception):
    """The app is already in the user's personal scope."""


@dataclass
class TeamsBook:
    """Directory, catalog and installation state per customer tenant; thread-safe."""

    users: dict[str, list[DirectoryUser]] = field(default_factory=lambda: demo_directory()[0])
    groups: dict[str, list[DirectoryGroup]] = field(default_factory=lambda: demo_directory()[1])
    catalogs: dict[str, list[CatalogApp]] = field(default_factory=demo_catalogs)
    # (tenant, user id) -> installation id -> catalog app id
    installed: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)
    # Each install made through Graph, in order: (tenant, user id, catalog app id): what Teams tells the bot about.
    installs: list[tuple[str, str, str]] = field(default_factory=list)
    limits: tuple[tuple[int, float], ...] = TEAMS_LIMITS
    monotonic: Callable[[], float] = time.monotonic
    sent: dict[tuple[str, str], deque[float]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add_users(self, tenant: str, count: int, domain: str, group: str | None = None) -> list[DirectoryUser]:
        """`count` more people in the tenant (tests, benchmarks: a roll-out to hundreds), optionally all members of a
        new group named `group`."""
        made = [
            DirectoryUser(
                f"{secrets.token_hex(4)}-0000-4000-8000-{n:012d}", f"Person {n:04d}", f"p{n}@{domain}", f"p{n}@{domain}"
            )
            for n in range(count)
        ]
        with self.lock:
            self.users.setdefault(tenant, []).extend(made)
            if group is not None:
                members = tuple(user.id for user in made)
                self.groups.setdefault(tenant, []).append(DirectoryGroup(secrets.token_hex(16), group, members))
        return made

    def user(self, tenant: str, key: str) -> DirectoryUser | None:
        """A user by id or user principal name (as Graph's /users/{id | userPrincipalName})."""
        with self.lock:
            return next((u for u in self.users.get(tenant, []) if key.lower() in (u.id, u.user_principal_name)), None)

    def transitive_users(self, tenant: str, group_id: str) -> list[DirectoryUser] | None:
        """Every user in a group, nested groups flattened, each once; None when there is no such group."""
        with self.lock:
            groups = {g.id: g for g in self.groups.get(tenant, [])}
            users = {u.id: u for u in self.users.get(tenant, [])}
        if group_id not in groups:
            return None
        found: dict[str, DirectoryUser] = {}
        pending, seen = [group_id], set()
        while pending:
            current = pending.pop()
            seen.add(current)
            for member in groups[current].members:
                if member in users:
                    found.setdefault(member, users[member])
                elif member in groups and member not in seen:
                    pending.append(member)
        return list(found.values())

    def installations(self, tenant: str, user_id: str) -> list[tuple[str, CatalogApp]]:
        """(installation id, app) in the user's personal scope."""
        with self.lock:
            apps = {app.id: app for app in self.catalogs.get(tenant, [])}
            mine = self.installed.get((tenant, user_id), {})
            return [(iid, apps[app_id]) for iid, app_id in mine.items() if app_id in apps]

    def install(self, tenant: str, user_id: str, app_id: str) -> str:
        """Install a catalog app for a user; AlreadyInstalled when it is there, KeyError for an unknown app."""
        with self.lock:
            if not any(app.id == app_id for app in self.catalogs.get(tenant, [])):
                raise KeyError(app_id)
            mine = self.installed.setdefault((tenant, user_id), {})
            if app_id in mine.values():
                raise AlreadyInstalled(app_id)
            installation = _installation_id()
            mine[installation] = app_id
            self.installs.append((tenant, user_id, app_id))
            return installation

    def preinstall(self, tenant: str, user_id: str, app_id: str) -> None:
        """An installation made outside Graph (the person added the app in Teams): listed, but no install event
        (tests: a person who already has the desk)."""
        with self.lock:
            self.installed.setdefault((tenant, user_id), {})[_installation_id()] = app_id

    def publish(self, tenant: str, app: CatalogApp) -> CatalogApp:
        """Add an app to the tenant's org catalog; AlreadyInstalled when its manifest id is there already."""
        with self.lock:
            catalog = self.catalogs.setdefault(tenant, [])
            if any(existing.external_id == app.external_id for existing in catalog):
                raise AlreadyInstalled(app.external_id)
            catalog.append(app)
            return app

    def throttle(self, app_id: str, tenant: str) -> int | None:
        """Count a Teams request of `app_id` in `tenant`: None within every limit, else whole seconds to wait."""
        with self.lock:
            now = self.monotonic()
            keep = max(count for count, _ in self.limits) + 1
            sent = self.sent.get((app_id, tenant), deque())
            if sent.maxlen != keep:
                sent = self.sent[(app_id, tenant)] = deque(sent, maxlen=keep)
            sent.append(now)
            over = [(count, period) for count, period in self.limits if len(sent) > count]
            if not any(sent[-count - 1] > now - period for count, period in over):
                return None
            wait = max(sent[-count] + period - now for count, period in self.limits if len(sent) >= count)
            return max(1, math.ceil(wait))


def _installation_id() -> str:
    return secrets.token_urlsafe(24)


def user_resource(user: DirectoryUser) -> dict[str, Any]:
    """A user object with the fields the desk selects."""
    return {
        "id": user.id,
        "displayName": user.display_name,
        "mail": user.mail,
        "userPrincipalName": user.user_principal_name,
        "accountEnabled": user.account_enabled,
    }
