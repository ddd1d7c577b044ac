"""One hierarchy of domain errors. Services raise them; the API's problem handler and the
console's form helper turn them into a 4xx with a stable `code` (never a 500)."""

from typing import Any


class DomainError(Exception):
    """A business rule refused the request. Nothing has been changed."""

    status = 400
    default_code = "domain_error"
    title = "The request was refused"

    def __init__(
        self,
        message: str = "",
        *,
        code: str | None = None,
        errors: list[dict[str, Any]] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        self.message = message or self.title
        self.code = code or self.default_code
        self.errors = errors or []
        self.extra = extra or {}
        super().__init__(self.message)


class ValidationFailed(DomainError):
    status = 400
    default_code = "invalid"
    title = "The input is not valid"


class NotFound(DomainError):
    status = 404
    default_code = "not_found"
    title = "Not found"


class PermissionDenied(DomainError):
    status = 403
    default_code = "permission_denied"
    title = "Not allowed"


class Conflict(DomainError):
    """The request is valid but conflicts with the current state of the resource."""

    status = 409
    default_code = "conflict"
    title = "Conflict with the current state"


class InvalidTransition(Conflict):
    default_code = "invalid_transition"
    title = "This change is not allowed in the current status"


class InsufficientStock(Conflict):
    default_code = "insufficient_stock"
    title = "Not enough stock"


class PaymentFailed(DomainError):
    status = 402
    default_code = "payment_failed"
    title = "The payment was not accepted"


class GatewayUnavailable(DomainError):
    status = 503
    default_code = "payment_gateway_unavailable"
    title = "The payment gateway could not be reached"
