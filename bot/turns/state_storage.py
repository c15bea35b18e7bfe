"""The SDK's Storage (conversation and dialog state) kept in the desk's database, so dialogs survive restarts."""

from __future__ import annotations

from typing import Any

import jsonpickle
from botbuilder.core import Storage

from desk.clock import Clock, utc_now
from desk.store import state as state_sql
from desk.store.database import Database
from desk.store.state import StateConflict


class DatabaseStorage(Storage):
    """Bot state documents with etag checks, serialised the way the SDK's own blob storage does (jsonpickle)."""

    def __init__(self, db: Database, clock: Clock = utc_now) -> None:
        super().__init__()
        self._db = db
        self._clock = clock

    async def read(self, keys: list[str]) -> dict[str, Any]:
        if not keys:
            return {}
        rows = await self._db.run(lambda cx: state_sql.read_documents(cx, list(keys)))
        items: dict[str, Any] = {}
        for key, (etag, document) in rows.items():
            item = jsonpickle.decode(document)
            if isinstance(item, dict):
                item["e_tag"] = etag
            elif hasattr(item, "e_tag"):
                item.e_tag = etag
            items[key] = item
        return items

    async def write(self, changes: dict[str, Any]) -> None:
        if not changes:
            return
        encoded = {key: (_etag(value), jsonpickle.encode(value)) for key, value in changes.items()}
        now = self._clock()

        def work(cx):  # type: ignore[no-untyped-def]
            for key, (etag, document) in encoded.items():
                state_sql.write_document(cx, key, document, etag, now)

        try:
            await self._db.run(work)
        except StateConflict as error:
            raise KeyError(str(error)) from error

    async def delete(self, keys: list[str]) -> None:
        await self._db.run(lambda cx: state_sql.delete_documents(cx, list(keys)))


def _etag(value: Any) -> str | None:
    if isinstance(value, dict):
        return value.get("e_tag")
    return getattr(value, "e_tag", None)
