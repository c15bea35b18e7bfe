"""The Teams app package: manifest valid against the official schema of its version, icons as Teams requires,
and every command in the menus understood by the bot."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import jsonschema
import pytest
from PIL import Image

from bot.features.registry import register_all
from bot.turns.actions import ActionRouter
from bot.turns.commands import CommandRouter
from bot.turns.conversations import CHANNEL, PERSONAL
from desk.people import Role
from desk.settings import Settings
from manifest.build import ManifestError, build_package

SCHEMAS = Path(__file__).parents[1] / "data" / "schemas" / "teams"
BOT_ID = "3f7c2a1e-8d4b-4f6a-9c2e-1b0d3e5f7a90"
ENV = {
    "PARTNER_NAME": "Contoso Cloud Services",
    "SUPPORT_WEBSITE": "https://support.contoso.example",
    "PUBLIC_URL": "https://desk.contoso.example",
}


@pytest.fixture
def package(tmp_path) -> zipfile.ZipFile:
    path = build_package(Settings.from_env(ENV, env_file=None), tmp_path / "appPackage.zip", app_id=BOT_ID)
    return zipfile.ZipFile(path)


def test_package_holds_manifest_localization_and_icons_at_its_root(package):
    assert sorted(package.namelist()) == ["color.png", "manifest.json", "outline.png", "ru.json"]


def test_manifest_is_valid_against_the_schema_of_its_version(package):
    manifest = json.loads(package.read("manifest.json"))
    version = manifest["manifestVersion"]
    assert manifest["$schema"].endswith(f"/v{version}/MicrosoftTeams.schema.json")
    schema = json.loads((SCHEMAS / f"MicrosoftTeams.v{version}.schema.json").read_text())
    errors = sorted(jsonschema.Draft4Validator(schema).iter_errors(manifest), key=str)
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors]
    assert manifest["bots"][0]["botId"] == BOT_ID
    assert set(manifest["bots"][0]["scopes"]) == {"personal", "team", "groupChat"}
    assert manifest["validDomains"] == ["desk.contoso.example"]
    assert manifest["webApplicationInfo"]["id"] == BOT_ID


def test_russian_localization_is_valid_and_covers_every_command(package):
    manifest = json.loads(package.read("manifest.json"))
    russian = json.loads(package.read("ru.json"))
    schema = json.loads((SCHEMAS / "MicrosoftTeams.Localization.v1.24.schema.json").read_text())
    errors = list(jsonschema.Draft4Validator(schema).iter_errors(russian))
    assert not errors, [e.message for e in errors]
    for index, command_list in enumerate(manifest["bots"][0]["commandLists"]):
        for position in range(len(command_list["commands"])):
            assert russian[f"bots[0].commandLists[{index}].commands[{position}].description"]


def test_icons_have_the_sizes_and_transparency_teams_requires(package):
    color = Image.open(io.BytesIO(package.read("color.png")))
    outline = Image.open(io.BytesIO(package.read("outline.png"))).convert("RGBA")
    assert color.size == (192, 192)
    assert outline.size == (32, 32)
    pixels = list(outline.getdata())
    assert any(alpha == 0 for *_, alpha in pixels), "the outline icon has a transparent background"
    drawn = [(r, g, b) for r, g, b, alpha in pixels if alpha > 0]
    assert drawn, "the outline icon draws something"
    assert set(drawn) == {(255, 255, 255)}, "the outline icon is white only"


def test_every_listed_command_is_understood_by_the_bot(package):
    manifest = json.loads(package.read("manifest.json"))
    router = CommandRouter()
    register_all(router, ActionRouter())
    who = {"personal": (Role.CUSTOMER, PERSONAL), "team": (Role.TECHNICIAN, CHANNEL)}
    for command_list in manifest["bots"][0]["commandLists"]:
        role, scope = who[command_list["scopes"][0]]
        for command in command_list["commands"]:
            matched = router.match(command["title"], role, scope)
            assert matched is not None, f"{command['title']!r} is not a {role.value} command in {scope}"


def test_customer_menu_has_only_customer_commands(package):
    manifest = json.loads(package.read("manifest.json"))
    router = CommandRouter()
    register_all(router, ActionRouter())
    personal = next(c for c in manifest["bots"][0]["commandLists"] if c["scopes"] == ["personal"])
    for command in personal["commands"]:
        found, _ = router.match(command["title"], Role.CUSTOMER, PERSONAL)  # type: ignore[misc]
        assert Role.CUSTOMER in found.roles


@pytest.mark.parametrize(
    ("env", "app_id", "problem"),
    [
        ({}, "not-a-guid", "GUID"),
        ({"SUPPORT_WEBSITE": "http://insecure.example", "PUBLIC_URL": ""}, BOT_ID, "https"),
        ({"TEAMS_APP_ID": "teams-app"}, BOT_ID, "TEAMS_APP_ID"),
    ],
)
def test_bad_settings_are_refused_with_a_clear_message(tmp_path, env, app_id, problem):
    settings = Settings.from_env({**ENV, **env}, env_file=None)
    with pytest.raises(ManifestError, match=problem):
        build_package(settings, tmp_path / "appPackage.zip", app_id=app_id)
    assert not (tmp_path / "appPackage.zip").exists()
