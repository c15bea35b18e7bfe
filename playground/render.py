"""Writes the Agents Playground configurations (customer and partner) from the emulator's demo tenants.

`python -m playground.render <folder>` writes <folder>/customer/.m365agentsplayground.yml and
<folder>/partner/.m365agentsplayground.yml. The playground wants exactly five other users and one extra channel.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from emulator import demo

BOT_ID = "00000000-0000-0000-0000-0000000000b0"
BOT_NAME = "Partner Desk"
TRIAGE_CHANNEL_ID = "19:triage-channel@thread.tacv2"
SUPPORT_TEAM_ID = "19:support-team@thread.tacv2"
# The customer playground's personal chat (Megan Bowen's with the bot): local mode sends her install event there.
CUSTOMER_CHAT_ID = "a:fabrikam-megan-chat"


def _person(user: demo.DemoUser) -> dict[str, str]:
    return {
        "id": f"29:{user.aad_id}",
        "name": user.name,
        "userPrincipleName": user.email,
        "aadObjectId": user.aad_id,
        "givenName": user.given_name,
        "surname": user.surname,
        "email": user.email,
    }


def config(tenant: demo.DemoTenant, team_name: str, channel_name: str, chat_id: str, team_id: str) -> str:
    """The YAML (JSON is YAML) for one playground instance: the tenant's first user is the current user."""
    current, *others = tenant.users
    document = {
        "version": "0.1.1",
        "tenantId": tenant.tenant_id,
        "bot": {"id": BOT_ID, "name": BOT_NAME},
        "currentUser": _person(current),
        "users": [_person(user) for user in others[:5]],
        "personalChat": {"id": chat_id},
        "groupChat": {"id": f"{chat_id}-group", "name": "Group Chat"},
        "team": {
            "id": team_id,
            "name": team_name,
            "aadGroupId": f"{tenant.tenant_id[:-2]}99",
            "channels": [
                {"id": TRIAGE_CHANNEL_ID if tenant is demo.PARTNER else f"{team_id}-it", "name": channel_name}
            ],
        },
    }
    return json.dumps(document, indent=2) + "\n"


def write(folder: Path) -> tuple[Path, Path]:
    """Write both configurations; returns their folders (customer, partner)."""
    customer = folder / "customer"
    partner = folder / "partner"
    for path in (customer, partner):
        path.mkdir(parents=True, exist_ok=True)
    (customer / ".m365agentsplayground.yml").write_text(
        config(demo.FABRIKAM, "Fabrikam IT", "Helpdesk", CUSTOMER_CHAT_ID, "19:fabrikam-team@thread.tacv2")
    )
    (partner / ".m365agentsplayground.yml").write_text(
        config(demo.PARTNER, "Support", "Triage", "a:contoso-alex-chat", SUPPORT_TEAM_ID)
    )
    return customer, partner


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "data/playground")
    for path in write(target):
        print(path)
