"""Clients of Microsoft's APIs (Entra ID tokens, Partner Center, Microsoft Graph).
No Bot Framework imports here."""
