"""Clients of Microsoft's APIs (Entra ID tokens, Partner Center, Microsoft Graph) and a local emulator of them.
No Bot Framework imports here."""
