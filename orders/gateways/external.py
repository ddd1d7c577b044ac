"""Payments taken elsewhere (a marketplace collects the money): every call is recorded as done."""

import uuid
from decimal import Decimal

from orders.gateways import GatewayResult


class ExternalGateway:
    name = "external"

    def authorize(
        self, *, amount: Decimal, currency: str, token: str, idempotency_key: str
    ) -> GatewayResult:
        reference = token or f"ext_{uuid.uuid5(uuid.NAMESPACE_URL, idempotency_key).hex[:16]}"
        return GatewayResult(True, reference=reference, method_label="Paid externally")

    def capture(self, *, reference: str, amount: Decimal, idempotency_key: str) -> GatewayResult:
        return GatewayResult(True, reference=reference)

    def refund(self, *, reference: str, amount: Decimal, idempotency_key: str) -> GatewayResult:
        return GatewayResult(True, reference=reference)

    def void(self, *, reference: str, idempotency_key: str) -> GatewayResult:
        return GatewayResult(True, reference=reference)

    def increase_authorization(
        self, *, reference: str, amount: Decimal, idempotency_key: str
    ) -> GatewayResult:
        return GatewayResult(True, reference=reference)
