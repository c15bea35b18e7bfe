"""What the partner's GDAP relationships mean for the desk: role names, whether a customer's relationship lets a
technician file a Microsoft support request, and which expiry warning is due.

Support requests (https://learn.microsoft.com/en-us/partner-center/gdap-least-privileged-roles-by-task, "Creating
support requests"): for Microsoft 365 and for Dynamics 365 the partner needs "GDAP role assignment to a role that
has Microsoft.office365.supportTickets/allEntities/allTasks permissions, such as Service support administrator"
(the least-privileged one). Azure requests need an Azure RBAC role (Support request contributor) besides any GDAP
role, which this API cannot show. Which built-in roles hold that permission: the Entra built-in roles reference
(https://learn.microsoft.com/en-us/entra/identity/role-based-access-control/permissions-reference), as its role
definitions list it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from msapi.gdap import Relationship

SERVICE_SUPPORT_ADMINISTRATOR = "f023fd81-a637-4b56-95fd-791ac0226033"
# Built-in Entra roles a GDAP relationship may carry (templateId -> name), the ones partners commonly ask for.
ROLE_NAMES: dict[str, str] = {
    "62e90394-69f5-4237-9190-012177145e10": "Global Administrator",
    "f023fd81-a637-4b56-95fd-791ac0226033": "Service Support Administrator",
    "729827e3-9c14-49f7-bb1b-9608f156bbb8": "Helpdesk Administrator",
    "fe930be7-5e62-47db-91af-98c3a49a38b1": "User Administrator",
    "29232cdf-9323-42fd-ade2-1d097af3e4de": "Exchange Administrator",
    "f28a1f50-f6e7-4571-818b-6a12f2af6b6c": "SharePoint Administrator",
    "69091246-20e8-4a56-aa4d-066075b2a7a8": "Teams Administrator",
    "194ae4cb-b126-40b2-bd5b-6091b380977d": "Security Administrator",
    "5f2222b1-57c3-48ba-8ad5-d4759f1fde6f": "Security Operator",
    "5d6b6bb7-de71-4623-b4af-96380a352509": "Security Reader",
    "b0f54661-2d74-4c50-afa3-1ec803f12efe": "Billing Administrator",
    "4d6ac14f-3453-41d0-bef9-a3e0c569773a": "License Administrator",
    "3a2c62db-5318-420d-8d74-23affee5d9d5": "Intune Administrator",
    "7698a772-787b-4ac8-901f-60d6b08affd2": "Cloud Device Administrator",
    "44367163-eba1-44c3-98af-f5787879f96a": "Dynamics 365 Administrator",
    "11648597-926c-4cf3-9c36-bcebb0ba8dcc": "Power Platform Administrator",
    "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3": "Application Administrator",
    "158c047a-c907-4556-b7ef-446551a6b5f7": "Cloud Application Administrator",
    "c4e39bd9-1100-46d3-8c65-fb160da0071f": "Authentication Administrator",
    "7be44c8a-adaf-4e2a-84d6-ab2649e08a13": "Privileged Authentication Administrator",
    "e8611ab8-c189-46e8-94e1-60213ab1f814": "Privileged Role Administrator",
    "fdd7a751-b60b-444a-984c-02652fe8fa1c": "Groups Administrator",
    "17315797-102d-40b4-93e0-432062caca18": "Compliance Administrator",
    "f2ef992c-3afb-46b9-b7cf-a126ee74c451": "Global Reader",
    "88d8e3e3-8f55-4a1e-953a-9b9898b8876b": "Directory Readers",
    "4a5d8f65-41da-4de4-8968-e035b65339cf": "Reports Reader",
    "790c1fb9-7f7d-4f88-86a1-ef1f95c05c1b": "Message Center Reader",
    "966707d0-3269-4727-9be2-8c3a10f19b9d": "Password Administrator",
}
# Of those, the roles holding microsoft.office365.supportTickets/allEntities/allTasks: any one of them lets the
# partner file Microsoft 365 / Dynamics 365 support requests for the customer. Not listed (they lack it): Global
# Reader, Directory Readers, Security Reader, Reports Reader, Message Center Reader, License Administrator,
# Password Administrator, Privileged Role Administrator, Cloud Device Administrator.
SUPPORT_ROLES: frozenset[str] = frozenset(
    {
        "62e90394-69f5-4237-9190-012177145e10",  # Global Administrator
        SERVICE_SUPPORT_ADMINISTRATOR,
        "729827e3-9c14-49f7-bb1b-9608f156bbb8",  # Helpdesk Administrator
        "fe930be7-5e62-47db-91af-98c3a49a38b1",  # User Administrator
        "29232cdf-9323-42fd-ade2-1d097af3e4de",  # Exchange Administrator
        "f28a1f50-f6e7-4571-818b-6a12f2af6b6c",  # SharePoint Administrator
        "69091246-20e8-4a56-aa4d-066075b2a7a8",  # Teams Administrator
        "194ae4cb-b126-40b2-bd5b-6091b380977d",  # Security Administrator
        "5f2222b1-57c3-48ba-8ad5-d4759f1fde6f",  # Security Operator
        "b0f54661-2d74-4c50-afa3-1ec803f12efe",  # Billing Administrator
        "3a2c62db-5318-420d-8d74-23affee5d9d5",  # Intune Administrator
        "44367163-eba1-44c3-98af-f5787879f96a",  # Dynamics 365 Administrator
        "11648597-926c-4cf3-9c36-bcebb0ba8dcc",  # Power Platform Administrator
        "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3",  # Application Administrator
        "158c047a-c907-4556-b7ef-446551a6b5f7",  # Cloud Application Administrator
        "c4e39bd9-1100-46d3-8c65-fb160da0071f",  # Authentication Administrator
        "7be44c8a-adaf-4e2a-84d6-ab2649e08a13",  # Privileged Authentication Administrator
        "fdd7a751-b60b-444a-984c-02652fe8fa1c",  # Groups Administrator
        "17315797-102d-40b4-93e0-432062caca18",  # Compliance Administrator
    }
)
# Statuses after which the relationship gives no access any more (expiring: "has passed its expiration date").
ENDED_STATUSES = frozenset({"expired", "expiring", "terminated", "terminating", "terminationrequested"})
# Warnings before the end, most urgent first: (threshold, days left at most).
BEFORE_END: tuple[tuple[str, int], ...] = (("1d", 1), ("7d", 7), ("30d", 30))
ENDED = "ended"
# A relationship that ended longer ago than this is history, not news: no "ended" warning when first seen.
ENDED_LOOKBACK = timedelta(days=30)


def role_name(role_id: str) -> str:
    """A role's name, or its id when it is not a well-known built-in role."""
    return ROLE_NAMES.get(role_id.lower(), role_id)


def has_ended(relationship: Relationship, now: datetime) -> bool:
    """Whether the relationship no longer gives access: ended by status, or its end has passed (unless it
    auto-extends: Graph then moves its end, and an end just passed is an extension under way)."""
    if relationship.status.lower() in ENDED_STATUSES:
        return True
    if relationship.auto_extends or relationship.activated is None or relationship.end is None:
        return False
    return relationship.end <= now


def is_active(relationship: Relationship, now: datetime) -> bool:
    """Active now: status active and its end not passed."""
    return relationship.status.lower() == "active" and not has_ended(relationship, now)


def allows_support(relationship: Relationship) -> bool:
    """Whether one of its roles allows filing support requests."""
    return any(role in SUPPORT_ROLES for role in relationship.role_ids)


class AccessState(StrEnum):
    """A customer's GDAP access, as the pre-flight check and the admin card see it."""

    OK = "ok"  # an active relationship with a support role
    NO_SUPPORT_ROLE = "no_support_role"  # active, but none of its roles allows support requests
    ENDED = "ended"  # relationships exist, none active any more
    NONE = "none"  # no relationship with this customer at all


@dataclass(frozen=True)
class CustomerAccess:
    """One customer's relationships and what they allow."""

    state: AccessState
    relationships: tuple[Relationship, ...]  # this customer's, the active ones first, then by end date

    @property
    def current(self) -> Relationship | None:
        """The relationship the admin card describes: the first active one, else the most recent."""
        return self.relationships[0] if self.relationships else None


def customer_access(relationships: Iterable[Relationship], tenant_id: str, now: datetime) -> CustomerAccess:
    """What the partner's relationships with the customer `tenant_id` allow now."""
    mine = [r for r in relationships if r.customer_tenant_id == tenant_id.lower()]
    active = [r for r in mine if is_active(r, now)]
    rest = [r for r in mine if not is_active(r, now)]
    active.sort(key=lambda r: (not allows_support(r), -r.end.timestamp() if r.end else float("-inf")))
    rest.sort(key=lambda r: r.end or r.created or now, reverse=True)
    ordered = tuple(active + rest)
    if any(allows_support(r) for r in active):
        return CustomerAccess(AccessState.OK, ordered)
    if active:
        return CustomerAccess(AccessState.NO_SUPPORT_ROLE, ordered)
    return CustomerAccess(AccessState.ENDED if mine else AccessState.NONE, ordered)


@dataclass(frozen=True)
class ExpiryWarning:
    """An expiry warning due for one relationship: `threshold` is "30d", "7d", "1d" or "ended"; `end_key` is the
    end date it is about (a relationship extended later gets a new round of warnings)."""

    relationship: Relationship
    threshold: str
    end_key: str


def due_warning(relationship: Relationship, now: datetime) -> ExpiryWarning | None:
    """The most urgent warning the relationship calls for now, or None. Only one: a relationship that passed
    several thresholds between two looks gets the nearest to its end."""
    if has_ended(relationship, now):
        if relationship.activated is None and relationship.end is None:
            return None  # never active (a request that was not approved): nothing was lost
        if relationship.end is not None and now - relationship.end > ENDED_LOOKBACK:
            return None
        return ExpiryWarning(relationship, ENDED, "")
    if relationship.status.lower() != "active" or relationship.auto_extends or relationship.end is None:
        return None
    left = relationship.end - now
    for threshold, days in BEFORE_END:
        if left <= timedelta(days=days):
            return ExpiryWarning(relationship, threshold, relationship.end.isoformat())
    return None


def due_warnings(relationships: Iterable[Relationship], now: datetime) -> list[ExpiryWarning]:
    """Every relationship's due warning, nearest end first."""
    found = [w for w in (due_warning(r, now) for r in relationships) if w is not None]
    return sorted(found, key=lambda w: (w.relationship.end or now, w.relationship.id))
