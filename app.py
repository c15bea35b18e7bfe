"""Partner Desk: `create_app(settings)` builds the aiohttp application; `python app.py` runs it."""

from __future__ import annotations

import sys

from aiohttp import web

from bot.edge import web as bot_web
from bot.runtime import OpenDatabase
from desk import logsafe
from desk.clock import Clock, utc_now
from desk.env import SettingsError
from desk.outage import plain
from desk.settings import Settings
from desk.store.database import DatabaseUnavailable, open_database
from desk.store.single_instance import DatabaseInUse


def create_app(settings: Settings, clock: Clock = utc_now, open_db: OpenDatabase = open_database) -> web.Application:
    """The aiohttp application serving the bot (`clock` and how the database is opened are replaceable for tests)."""
    app = web.Application(client_max_size=1024 * 1024)
    bot_web.setup(app, settings, clock, open_db)
    return app


def configure_logging(settings: Settings) -> None:
    """Logging at LOG_LEVEL, with every record of every logger redacted of tokens and secrets (desk/logsafe.py)."""
    logsafe.install(logsafe.secrets_of(settings), settings.log_level)


def make_app() -> web.Application:
    """For gunicorn's aiohttp worker (`gunicorn 'app:make_app()' -k aiohttp.GunicornWebWorker`): settings from
    the environment at start-up."""
    settings = Settings.from_env(served=True)
    configure_logging(settings)
    return create_app(settings)


def main() -> None:
    """Read settings from the environment (and .env), then serve until stopped."""
    try:
        settings = Settings.from_env()
    except SettingsError as error:
        print(f"Configuration error: {error}", file=sys.stderr)
        raise SystemExit(2) from None
    configure_logging(settings)
    try:
        web.run_app(create_app(settings), host=settings.host, port=settings.port, access_log=None)
    except DatabaseInUse:  # logged where it was found, with the fix
        raise SystemExit(2) from None
    except DatabaseUnavailable as error:  # waited for at start-up (bot/runtime.py), in vain
        print(f"The database cannot be reached: {plain(error)}", file=sys.stderr)
        raise SystemExit(3) from None


if __name__ == "__main__":
    main()
