"""Rotating TOKEN_CACHE_KEY at the app level: a desk restarted with `new,old` still reads the technicians'
sign-ins sealed with the old key, and re-seals them with the new one as they are used."""

from __future__ import annotations

from pathlib import Path

from cryptography.fernet import Fernet

from desk.store.tokens import Sealer
from tests.support.connector import LocalConnector
from tests.support.harness import local_settings, start_desk

OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()
ALEX = "a1b2c3d4-0000-4000-8000-000000000001"


async def test_a_restart_with_a_new_key_first_keeps_everyone_signed_in(tmp_path: Path, connector: LocalConnector):
    before = await start_desk(local_settings(tmp_path, connector, TOKEN_CACHE_KEY=OLD), connector)
    await before.runtime.services.desk.save_token_cache(ALEX, "alex@contoso.example", "the msal cache")
    await before.close()

    after = await start_desk(local_settings(tmp_path, connector, TOKEN_CACHE_KEY=f"{NEW},{OLD}"), connector)
    try:
        assert await after.runtime.services.desk.token_cache(ALEX) == ("alex@contoso.example", "the msal cache")
        row = await after.runtime.db.run(lambda cx: cx.one("SELECT cache FROM user_tokens"))
    finally:
        await after.close()
    assert row is not None and Sealer([NEW.encode()]).open(row["cache"]) == "the msal cache"
