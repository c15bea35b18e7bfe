"""The partner's support profile as customers see it: e-mail, telephone and website from Partner Center
(GET /v1/profiles/support, which needs a technician's sign-in), hours and pricing from settings."""

from __future__ import annotations

import json
import logging
from dataclasses import replace

from bot.turns.services import Services
from desk.support import SupportProfile
from msapi.errors import MicrosoftApiError

logger = logging.getLogger(__name__)
META_KEY = "partner_center_support_profile"


async def current_profile(services: Services) -> SupportProfile:
    """Settings' profile with Partner Center's contact details over it (when they were read)."""
    base = services.settings.support
    stored = await services.desk.meta(META_KEY)
    if not stored:
        return base
    contact = json.loads(stored)
    return replace(
        base,
        email=contact.get("email") or base.email,
        phone=contact.get("telephone") or base.phone,
        website=contact.get("website") or base.website,
    )


async def refresh_profile(services: Services) -> bool:
    """Read the support profile from Partner Center with any signed-in technician; False when none is."""
    if services.signins is None:
        return False
    found = await services.signins.any_token()
    if found is None:
        return False
    try:
        profile = await services.partner_center.support_profile(found[1])
    except MicrosoftApiError as error:
        logger.warning("could not read the Partner Center support profile: %s", error)
        return False
    contact = {"email": profile.email, "telephone": profile.telephone, "website": profile.website}
    await services.desk.set_meta(META_KEY, json.dumps(contact))
    return True
