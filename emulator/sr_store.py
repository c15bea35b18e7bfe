"""The emulator's service requests: filed by partner users, advanced by "Microsoft Support" through the control
route or a script of steps applied when a request is read. Idempotent on MS-RequestId for creates and notes."""

from __future__ import annotations

import copy
import secrets
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

MICROSOFT = "Microsoft Support"
STATUSES = ("none", "open", "closed", "attention_needed")
# (seconds after creation, note by Microsoft or None, new status or None)
ScriptStep = tuple[float, str | None, str | None]


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class StoredNote:
    """A note as the emulator keeps it."""

    created_by: str
    created: datetime
    text: str


@dataclass
class StoredServiceRequest:
    """A service request as the emulator keeps it; `customer` is the customer tenant it concerns, if any."""

    id: str
    title: str
    description: str
    severity: str
    support_topic_id: str
    support_topic_name: str
    status: str
    organization: dict[str, Any]
    primary_contact: dict[str, Any] | None
    last_updated_by: dict[str, Any] | None
    created: datetime
    last_modified: datetime
    country_code: str
    customer: str | None = None
    last_closed: datetime | None = None
    notes: list[StoredNote] = field(default_factory=list)
    script_done: int = 0  # steps of the script already applied


class ServiceRequestBook:
    """Every service request of the emulator's partner; thread-safe, hands out copies."""

    def __init__(self, clock: Callable[[], datetime] = _utcnow) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._items: dict[str, StoredServiceRequest] = {}
        self._created_by_request: dict[str, str] = {}
        self._noted_requests: set[tuple[str, str]] = set()

    def create(
        self, request_id: str, make: Callable[[str, datetime], StoredServiceRequest]
    ) -> tuple[StoredServiceRequest, bool]:
        """The request filed under `request_id` and False, or a new one from `make(id, now)` and True."""
        with self._lock:
            known = self._created_by_request.get(request_id) if request_id else None
            if known is not None:
                return copy.deepcopy(self._items[known]), False
            now = self.clock()
            item = make(self._new_id(now), now)
            self._items[item.id] = item
            if request_id:
                self._created_by_request[request_id] = item.id
            return copy.deepcopy(item), True

    def get(self, sr_id: str, script: Sequence[ScriptStep] = ()) -> StoredServiceRequest | None:
        """A copy of one request (the script's due steps applied first), or None."""
        with self._lock:
            item = self._items.get(sr_id)
            if item is None:
                return None
            self._follow(item, script)
            return copy.deepcopy(item)

    def all(self, script: Sequence[ScriptStep] = ()) -> list[StoredServiceRequest]:
        """Copies of every request, oldest first."""
        with self._lock:
            for item in self._items.values():
                self._follow(item, script)
            return [copy.deepcopy(item) for item in self._items.values()]

    def add_note(
        self, sr_id: str, request_id: str, author: str, text: str, script: Sequence[ScriptStep] = ()
    ) -> StoredServiceRequest | None:
        """Append the partner's note (once per `request_id`); None when unknown. Microsoft's turn comes next, so a
        request waiting for the partner (attention_needed) becomes open again."""
        with self._lock:
            item = self._items.get(sr_id)
            if item is None:
                return None
            self._follow(item, script)
            if not request_id or (sr_id, request_id) not in self._noted_requests:
                self._noted_requests.add((sr_id, request_id))
                now = self.clock()
                item.notes.append(StoredNote(author, now, text))
                item.last_modified = now
                if item.status == "attention_needed":
                    item.status = "open"
            return copy.deepcopy(item)

    def advance(self, sr_id: str, note: str | None = None, status: str | None = None) -> StoredServiceRequest:
        """Microsoft's side: a note by Microsoft Support and/or a new status; KeyError when unknown, ValueError for
        a status not in STATUSES."""
        if status is not None and status not in STATUSES:
            raise ValueError(f"status must be one of {', '.join(STATUSES)}")
        with self._lock:
            item = self._items[sr_id]
            self._apply(item, self.clock(), note, status)
            return copy.deepcopy(item)

    def _follow(self, item: StoredServiceRequest, script: Sequence[ScriptStep]) -> None:
        now = self.clock()
        while item.script_done < len(script):
            seconds, note, status = script[item.script_done]
            due = item.created + timedelta(seconds=seconds)
            if due > now:
                return
            self._apply(item, due, note, status)
            item.script_done += 1

    @staticmethod
    def _apply(item: StoredServiceRequest, when: datetime, note: str | None, status: str | None) -> None:
        if note:
            item.notes.append(StoredNote(MICROSOFT, when, note))
        if status:
            if status == "closed" and item.status != "closed":
                item.last_closed = when
            item.status = status
        item.last_modified = max(item.last_modified, when)

    def _new_id(self, now: datetime) -> str:
        # Partner Center's ids read as "6" + yyMMdd of filing + 8 digits (616122292874576 was filed 2016-12-22).
        while True:
            candidate = f"6{now:%y%m%d}{secrets.randbelow(10**8):08d}"
            if candidate not in self._items:
                return candidate
