"""The payment gateway interface. Services call a gateway only outside any lock or transaction,
always with an idempotency key, so a retried call never charges or refunds twice."""

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from django.conf import settings


@dataclass(frozen=True)
class GatewayResult:
    is_success: bool
    reference: str = ""
    method_label: str = ""
    error_code: str = ""
    error_message: str = ""


class GatewayError(Exception):
    """The gateway could not be reached or failed; the call may be retried with the same key."""


class PaymentGateway(Protocol):
    name: str

    def authorize(
        self, *, amount: Decimal, currency: str, token: str, idempotency_key: str
    ) -> GatewayResult: ...

    def capture(
        self, *, reference: str, amount: Decimal, idempotency_key: str
    ) -> GatewayResult: ...

    def refund(self, *, reference: str, amount: Decimal, idempotency_key: str) -> GatewayResult: ...

    def void(self, *, reference: str, idempotency_key: str) -> GatewayResult: ...

    def increase_authorization(
        self, *, reference: str, amount: Decimal, idempotency_key: str
    ) -> GatewayResult:
        """Raise an open authorization by `amount` (incremental authorization, as Stripe's
        increment_authorization and Adyen's amount updates offer), so a modified order can be
        captured in full without a second charge."""
        ...


# Gateways other apps provide (returns registers "store_credit" from its AppConfig.ready()):
# orders stays ignorant of them, they only have to speak PaymentGateway.
_registered: dict[str, Callable[[], PaymentGateway]] = {}


def register_gateway(name: str, factory: Callable[[], PaymentGateway]) -> None:
    """Make `get_gateway(name)` build a gateway with `factory`. Registering a name again
    replaces the factory (ready() may run more than once in tests)."""
    _registered[name] = factory


def _factories() -> dict[str, Callable[[], PaymentGateway]]:
    from orders.gateways.external import ExternalGateway
    from orders.gateways.sandbox import SandboxGateway

    return {"sandbox": SandboxGateway, "external": ExternalGateway, **_registered}


def get_gateway(name: str | None = None) -> PaymentGateway:
    name = name or settings.OMS_PAYMENT_GATEWAY
    try:
        factory = _factories()[name]
    except KeyError:
        raise ValueError(f"Unknown payment gateway {name!r}") from None
    return factory()


def gateway_names() -> tuple[str, ...]:
    """Every gateway a payment may name: the built-in ones and the registered ones."""
    return tuple(_factories())
