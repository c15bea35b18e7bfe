"""Builds the Teams app package (appPackage.zip): manifest.json from the template and settings, its Russian
localization, and the two icons. `python -m manifest.build [--out appPackage.zip] [--app-id GUID]`."""

from __future__ import annotations

import argparse
import json
import re
import sys
import zipfile
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from desk.env import SettingsError
from desk.settings import Settings
from manifest import commands

HERE = Path(__file__).parent
PACKAGE_VERSION = "1.0.0"
GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
LOCALIZATION_SCHEMA = "https://developer.microsoft.com/json-schemas/teams/v1.24/MicrosoftTeams.Localization.schema.json"


class ManifestError(ValueError):
    """The settings cannot make a valid app package."""


def manifest_documents(settings: Settings, app_id: str | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """manifest.json and ru.json as dicts."""
    bot_id = app_id or settings.bot.app_id
    if not bot_id or not GUID.match(bot_id):
        raise ManifestError("the bot's app id (MicrosoftAppId or --app-id) must be a GUID")
    teams_app_id = settings.teams_app_id or bot_id
    sign_in_app = settings.api_client_id or bot_id
    for name, value in (("TEAMS_APP_ID", teams_app_id), ("PARTNER_APP_ID", sign_in_app)):
        if not GUID.match(value):
            raise ManifestError(f"{name} must be a GUID, got {value!r}")
    profile = settings.support
    website = profile.website or settings.public_url
    if not website or not website.startswith("https://"):
        raise ManifestError("SUPPORT_WEBSITE (or PUBLIC_URL) must be an https URL: Teams shows it as the app's website")
    domains = sorted({urlparse(url).hostname for url in (settings.public_url,) if url} - {None})
    resource = f"api://{domains[0]}/{sign_in_app}" if domains else f"api://{sign_in_app}"
    environment = Environment(loader=FileSystemLoader(HERE), undefined=StrictUndefined, autoescape=False)
    text = environment.get_template("manifest.json.j2").render(
        version=PACKAGE_VERSION,
        teams_app_id=teams_app_id,
        developer_name=profile.partner_name[:32],
        website=website,
        privacy_url=settings.privacy_url or website,
        terms_url=settings.terms_url or website,
        short_name=profile.partner_name[:30],
        full_name=f"{profile.partner_name} support desk"[:100],
        short_description="Raise and follow support tickets with your Microsoft partner.",
        full_description=(
            f"The support desk of {profile.partner_name}. Customers raise and follow support tickets in chat; "
            "technicians triage them in a Teams channel, check each customer's Microsoft 365 service health, and "
            "escalate to Microsoft when needed."
        ),
        bot_id=bot_id,
        command_lists=[
            {"scopes": ["personal"], "commands": [_command(c, d) for c, d in commands.PERSONAL]},
            {"scopes": ["team"], "commands": [_command(c, d) for c, d in commands.TEAM]},
        ],
        valid_domains=domains,
        sign_in_app_id=sign_in_app,
        sign_in_resource=resource,
    )
    return json.loads(text), _russian(profile.partner_name)


def build_package(settings: Settings, out: Path, app_id: str | None = None) -> Path:
    """Write the zip Teams accepts: manifest.json, ru.json, color.png, outline.png at its root."""
    manifest, russian = manifest_documents(settings, app_id)
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False))
        package.writestr("ru.json", json.dumps(russian, indent=2, ensure_ascii=False))
        package.write(HERE / "color.png", "color.png")
        package.write(HERE / "outline.png", "outline.png")
    return out


def _command(title: str, description: str) -> dict[str, str]:
    return {"title": title, "description": description}


def _russian(partner: str) -> dict[str, Any]:
    document: dict[str, Any] = {
        "$schema": LOCALIZATION_SCHEMA,
        "name.short": partner[:30],
        "name.full": f"{partner}: служба поддержки"[:100],
        "description.short": "Заявки в поддержку вашего партнёра Microsoft прямо в Teams.",
        "description.full": (
            f"Служба поддержки {partner}. Клиенты открывают заявки и следят за ними в чате; специалисты разбирают "
            "их в канале Teams, проверяют состояние служб Microsoft 365 клиента и при необходимости обращаются "
            "в Microsoft."
        ),
    }
    for index, (scope_list, _) in enumerate(((commands.PERSONAL, "personal"), (commands.TEAM, "team"))):
        for position, (title, _) in enumerate(scope_list):
            text = commands.RUSSIAN_TEAM_HELP if (title == "help" and index == 1) else commands.RUSSIAN[title]
            document[f"bots[0].commandLists[{index}].commands[{position}].description"] = text
    return document


def main() -> None:
    """Build the package from the environment's settings."""
    parser = argparse.ArgumentParser(description="Build the Teams app package")
    parser.add_argument("--out", type=Path, default=Path("appPackage.zip"))
    parser.add_argument("--app-id", help="the bot's app id (default: MicrosoftAppId)")
    args = parser.parse_args()
    try:
        path = build_package(Settings.from_env(), args.out, args.app_id)
    except (SettingsError, ManifestError) as error:
        print(f"Cannot build the app package: {error}", file=sys.stderr)
        raise SystemExit(2) from None
    print(f"Wrote {path}")


if __name__ == "__main__":
    main()
