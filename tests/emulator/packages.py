"""A Teams app package (a zip with manifest.json) for the catalog publish tests."""

from __future__ import annotations

import io
import json
import zipfile


def app_package(manifest_id: str, name: str = "Partner Desk", version: str = "1.0.0") -> bytes:
    """The zip bytes of a minimal package: only what the emulator reads (id, version, name.short)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        manifest = {"id": manifest_id, "version": version, "name": {"short": name, "full": name}}
        archive.writestr("manifest.json", json.dumps(manifest))
    return buffer.getvalue()
