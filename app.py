"""Partner Desk: `create_app(settings)` builds the aiohttp application; `python app.py` runs it."""

from __future__ import annotations

import logging
import sys

from aiohttp import web

from bot import web as bot_web
from desk.clock import Clock, utc_now
from desk.env import SettingsError
from desk.settings import Settings


def create_app(settings: Settings, clock: Clock = utc_now) -> web.Application:
    """The aiohttp application serving the bot (`clock` is replaceable for tests)."""
    app = web.Application(client_max_size=1024 * 1024)
    bot_web.setup(app, settings, clock)
    return app


def make_app() -> web.Application:
    """For gunicorn's aiohttp worker (`gunicorn 'app:make_app()' -k aiohttp.GunicornWebWorker`): settings from
    the environment at start-up."""
    settings = Settings.from_env(served=True)
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return create_app(settings)


def main() -> None:
    """Read settings from the environment (and .env), then serve until stopped."""
    try:
        settings = Settings.from_env()
    except SettingsError as error:
        print(f"Configuration error: {error}", file=sys.stderr)
        raise SystemExit(2) from None
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    web.run_app(create_app(settings), host=settings.host, port=settings.port, access_log=None)


if __name__ == "__main__":
    main()
