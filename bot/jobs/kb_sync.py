"""Reloading the knowledge base's folder (KB_DIR): every KB_CHECK_SECONDS one instance (the job's lease) reads the
folder and writes what changed by content hash; at start-up each instance loads it once, which changes nothing
when another already did."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from desk.kb_files import FolderUnreadable, read_folder
from desk.kb_service import KnowledgeBase, Synced

logger = logging.getLogger(__name__)


async def load_kb_folder(kb: KnowledgeBase, folder: Path | None) -> Synced | None:
    """Load the folder's articles; None (and nothing removed) when there is no folder or it cannot be read."""
    if folder is None:
        return None
    try:
        found = await asyncio.to_thread(read_folder, folder)  # file reads off the event loop
    except FolderUnreadable as error:
        logger.warning("knowledge base: %s; the articles loaded before are kept", error)
        return None
    synced = await kb.load_folder(found)
    if synced.added or synced.changed or synced.removed:
        logger.info(
            "knowledge base: %d articles added, %d changed, %d removed", synced.added, synced.changed, synced.removed
        )
    return synced
