"""What a roll-out needs and how its words are read (issue 16): the GDAP role, the Graph permissions, and the
`roll out <customer> [all|group <name>|<e-mail>...]` arguments.

GDAP: the issue asks that the partner's relationship with the customer hold the Teams Administrator role before the
desk installs its app for the customer's people (the admin who would otherwise do it in the Teams admin center; see
https://learn.microsoft.com/en-us/partner-center/gdap-least-privileged-roles-by-task). Global Administrator covers it
too. The install call itself runs with the app's own permission (TeamsAppInstallation.ReadWriteSelfForUser.All,
docs/onboarding-graph.md), so the role is the partner's authority to act in the tenant, checked like the
service-request pre-flight (bot/features/gdap_preflight.py)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from desk.gdap import is_active
from msapi.gdap import Relationship

TEAMS_ADMINISTRATOR = "69091246-20e8-4a56-aa4d-066075b2a7a8"
GLOBAL_ADMINISTRATOR = "62e90394-69f5-4237-9190-012177145e10"
ROLLOUT_ROLES = frozenset({TEAMS_ADMINISTRATOR, GLOBAL_ADMINISTRATOR})
ALL, GROUP, PEOPLE = "all", "group", "people"


def rollout_allowed(relationships: Iterable[Relationship], tenant_id: str, now: datetime) -> bool:
    """Whether an active relationship with the customer holds a role allowing the roll-out."""
    return any(
        r.customer_tenant_id == tenant_id.lower() and is_active(r, now) and ROLLOUT_ROLES & set(r.role_ids)
        for r in relationships
    )


@dataclass(frozen=True)
class Choice:
    """Whom the technician chose: the customer's words, and all, a group's name, or e-mail addresses."""

    customer: str
    kind: str
    group: str = ""
    addresses: tuple[str, ...] = ()


def parse_choice(args: str) -> Choice:
    """`fabrikam`, `fabrikam all`, `fabrikam group Sales team`, `fabrikam a@x.com b@x.com`: the words before `all`,
    `group` or the first address name the customer; no choice means everyone."""
    words = args.split()
    for index, word in enumerate(words):
        lowered = word.lower()
        if lowered == ALL and index == len(words) - 1:
            return Choice(" ".join(words[:index]), ALL)
        if lowered == GROUP and index > 0:
            return Choice(" ".join(words[:index]), GROUP, group=" ".join(words[index + 1 :]))
        if "@" in word:
            addresses = tuple(dict.fromkeys(w.lower().strip(",;") for w in words[index:]))
            return Choice(" ".join(words[:index]), PEOPLE, addresses=addresses)
    return Choice(" ".join(words), ALL)
