"""Fixtures of the emulator tests."""

from tests.emulator.onboarding_rig import onboarding

__all__ = ["onboarding"]
