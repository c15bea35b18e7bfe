"""TOKEN_CACHE_KEY: one Fernet key or several, newest first (rotation); a bad key stops start-up naming the variable
without repeating any key."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from desk.env import SettingsError
from desk.settings import Settings

NEW = Fernet.generate_key().decode()
OLD = Fernet.generate_key().decode()


def settings(**environ: str) -> Settings:
    """Settings from exactly `environ`."""
    return Settings.from_env(environ, env_file=None)


def test_unset_means_no_key() -> None:
    assert settings().token_cache_keys == ()


def test_one_key_is_a_list_of_one() -> None:
    assert settings(TOKEN_CACHE_KEY=NEW).token_cache_keys == (NEW.encode(),)


def test_several_keys_are_kept_newest_first() -> None:
    assert settings(TOKEN_CACHE_KEY=f" {NEW} , {OLD},").token_cache_keys == (NEW.encode(), OLD.encode())


@pytest.mark.parametrize(
    ("value", "position"),
    [("not-a-key", "key 1"), (f"{NEW},{NEW[:-2]}", "key 2"), (f"{NEW},{OLD},{'é' * 44}", "key 3")],
    ids=["garbage", "truncated", "not-ascii"],
)
def test_a_bad_key_in_the_list_names_the_variable_and_its_place_but_not_the_keys(value: str, position: str) -> None:
    with pytest.raises(SettingsError) as caught:
        settings(TOKEN_CACHE_KEY=value)

    assert caught.value.variable == "TOKEN_CACHE_KEY"
    assert position in str(caught.value)
    assert NEW not in str(caught.value) and OLD not in str(caught.value) and "not-a-key" not in str(caught.value)


def test_the_same_key_twice_is_refused() -> None:
    with pytest.raises(SettingsError) as caught:
        settings(TOKEN_CACHE_KEY=f"{NEW},{OLD},{NEW}")

    assert caught.value.variable == "TOKEN_CACHE_KEY"
    assert "key 3" in str(caught.value)


def test_no_secret_shows_in_the_settings_repr() -> None:
    production = settings(
        MicrosoftAppId="11111111-2222-4333-8444-555555555555",
        MicrosoftAppPassword="bot-password-in-repr",
        PARTNER_APP_SECRET="partner-secret-in-repr",
        PARTNER_TENANT_ID="5f1a0c2e-7b1d-4c55-9a4e-3c2b1d0e9f01",
        TOKEN_CACHE_KEY=f"{NEW},{OLD}",
    )

    shown = repr(production)
    assert "11111111-2222-4333-8444-555555555555" in shown
    assert "in-repr" not in shown and NEW not in shown and OLD not in shown
