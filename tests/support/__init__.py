"""Test doubles that speak real wire formats: a local Bot Connector, activity builders, token signing."""
