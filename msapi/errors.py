"""Typed errors of the Microsoft API clients."""

from __future__ import annotations


class MicrosoftApiError(Exception):
    """A Microsoft API answered with an error, or could not be reached."""

    service = "Microsoft API"

    def __init__(self, message: str, *, status: int | None = None, code: str = "", request_id: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.request_id = request_id

    def __str__(self) -> str:
        parts = [f"{self.service}: {self.args[0]}"]
        if self.status:
            parts.append(f"status {self.status}")
        if self.code:
            parts.append(f"code {self.code}")
        if self.request_id:
            parts.append(f"request {self.request_id}")
        return ", ".join(parts)


class TokenError(MicrosoftApiError):
    """Entra ID would not issue a token (wrong secret, app not consented in the tenant, ...)."""

    service = "Entra ID"


class PartnerCenterError(MicrosoftApiError):
    """Partner Center answered with an error.

    Newer bodies also name the error (`error_name`, e.g. "PartnerConfirmedAgreementAlreadyExists") and say whether
    repeating the call may succeed (`retryable`; None when the body does not say).
    """

    service = "Partner Center"
    error_name: str = ""
    retryable: bool | None = None


class AppUserRequired(PartnerCenterError):
    """Partner Center refused the app-only token: this API (service requests, the support profile) takes only
    App+User tokens, i.e. a signed-in partner user's token. The caller signs the user in and repeats the call."""


class GraphError(MicrosoftApiError):
    """Microsoft Graph answered with an error."""

    service = "Microsoft Graph"


class ConsentMissing(GraphError):
    """The partner lacks the consent or GDAP role to read this customer's data.

    `tenant_id` is the customer's tenant and `permission` the application permission the call needs; `str()`
    says in English what the partner must grant (the bot shows its own, localised, words).
    """

    def __init__(
        self,
        message: str = "",
        *,
        tenant_id: str = "",
        permission: str = "",
        status: int | None = None,
        code: str = "",
        request_id: str = "",
    ) -> None:
        super().__init__(
            message or consent_advice(tenant_id, permission), status=status, code=code, request_id=request_id
        )
        self.tenant_id = tenant_id
        self.permission = permission


def consent_advice(tenant_id: str, permission: str) -> str:
    """What the partner must grant for their app to read a customer tenant."""
    tenant = f"customer tenant {tenant_id}" if tenant_id else "the customer tenant"
    needed = f"the {permission} application permission" if permission else "the application permissions it needs"
    return (
        f"the partner's app is not allowed to read {tenant}: grant the app consent in that tenant "
        f"(CPV / application consent) with {needed}"
    )
