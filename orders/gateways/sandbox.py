"""A built-in test gateway that behaves like a real one, for development, demos and tests.

Tokens are test card numbers (optionally prefixed `tok_`), as in Stripe's test mode
(https://docs.stripe.com/testing): any Luhn-valid number is approved except these:

| card number        | outcome                                   |
| ------------------ | ----------------------------------------- |
| 4000000000000002   | declined: card_declined                   |
| 4000000000009995   | declined: insufficient_funds              |
| 4000000000000069   | declined: expired_card                    |
| 4000000000000119   | gateway error (raises GatewayError)       |
| 4000000000000341   | authorized, but every increase is declined |

Captures may be partial and repeated up to the authorized amount; refunds never exceed what was
captured; a repeated idempotency key returns the first result without doing the work again.
An increase of an authorization asks the card again: it is declined when the card the charge was
made with declines (the sandbox keeps only the last four digits, and its decline cards differ in
them; 4000000000000341 stands for a card that has since been blocked, like Stripe's card that
attaches but fails every later charge).
"""

import uuid
from decimal import Decimal

from django.db import IntegrityError, transaction

from orders.gateways import GatewayError, GatewayResult
from orders.models import SandboxCharge, SandboxOperation

DECLINES = {
    "4000000000000002": ("card_declined", "The card was declined."),
    "4000000000009995": ("insufficient_funds", "The card has insufficient funds."),
    "4000000000000069": ("expired_card", "The card has expired."),
}
ERROR_CARD = "4000000000000119"
BLOCKED_LATER_CARD = "4000000000000341"
# An increase is checked against the charge's card by its last four digits (all it keeps).
INCREASE_DECLINES = {number[-4:]: outcome for number, outcome in DECLINES.items()} | {
    BLOCKED_LATER_CARD[-4:]: ("card_declined", "The card was declined.")
}
BRANDS = {"4": "Visa", "5": "Mastercard", "3": "Amex", "6": "Discover"}


def luhn_ok(number: str) -> bool:
    digits = [int(d) for d in number]
    checksum = sum(digits[-1::-2]) + sum(sum(divmod(2 * d, 10)) for d in digits[-2::-2])
    return checksum % 10 == 0


def card_number(token: str) -> str:
    return token.removeprefix("tok_").replace(" ", "")


def _result(data: dict) -> GatewayResult:
    return GatewayResult(**data)


def _as_dict(result: GatewayResult) -> dict:
    return {
        "is_success": result.is_success,
        "reference": result.reference,
        "method_label": result.method_label,
        "error_code": result.error_code,
        "error_message": result.error_message,
    }


class SandboxGateway:
    name = "sandbox"

    def _once(self, key: str, operation: str, work) -> GatewayResult:
        """Run `work` once per idempotency key; replay the recorded result afterwards."""
        previous = SandboxOperation.objects.filter(idempotency_key=key).first()
        if previous is not None:
            return _result(previous.result)
        try:
            with transaction.atomic():
                result = work()
                SandboxOperation.objects.create(
                    idempotency_key=key, operation=operation, result=_as_dict(result)
                )
                return result
        except IntegrityError:
            # A concurrent call with the same key won; answer what it answered.
            return _result(SandboxOperation.objects.get(idempotency_key=key).result)

    def authorize(
        self, *, amount: Decimal, currency: str, token: str, idempotency_key: str
    ) -> GatewayResult:
        number = card_number(token)
        if number == ERROR_CARD:
            raise GatewayError("sandbox: simulated processing error")

        def work() -> GatewayResult:
            if not (number.isdigit() and 12 <= len(number) <= 19 and luhn_ok(number)):
                return GatewayResult(
                    False, error_code="invalid_card", error_message="Invalid card."
                )
            label = f"{BRANDS.get(number[0], 'Card')} •••• {number[-4:]}"
            if number in DECLINES:
                code, message = DECLINES[number]
                return GatewayResult(
                    False, method_label=label, error_code=code, error_message=message
                )
            charge = SandboxCharge.objects.create(
                reference=f"sbx_{uuid.uuid4().hex[:20]}",
                currency=currency,
                card_last4=number[-4:],
                authorized=amount,
            )
            return GatewayResult(True, reference=charge.reference, method_label=label)

        return self._once(idempotency_key, "authorize", work)

    def _locked_charge(self, reference: str) -> SandboxCharge | None:
        return SandboxCharge.objects.select_for_update().filter(reference=reference).first()

    def capture(self, *, reference: str, amount: Decimal, idempotency_key: str) -> GatewayResult:
        def work() -> GatewayResult:
            charge = self._locked_charge(reference)
            if charge is None:
                return GatewayResult(False, error_code="no_such_charge")
            if charge.is_voided:
                return GatewayResult(False, error_code="charge_voided")
            if charge.captured + amount > charge.authorized:
                return GatewayResult(False, error_code="amount_too_large")
            charge.captured += amount
            charge.save(update_fields=["captured"])
            return GatewayResult(True, reference=reference)

        return self._once(idempotency_key, "capture", work)

    def refund(self, *, reference: str, amount: Decimal, idempotency_key: str) -> GatewayResult:
        def work() -> GatewayResult:
            charge = self._locked_charge(reference)
            if charge is None:
                return GatewayResult(False, error_code="no_such_charge")
            if charge.refunded + amount > charge.captured:
                return GatewayResult(False, error_code="amount_too_large")
            charge.refunded += amount
            charge.save(update_fields=["refunded"])
            return GatewayResult(True, reference=reference)

        return self._once(idempotency_key, "refund", work)

    def void(self, *, reference: str, idempotency_key: str) -> GatewayResult:
        def work() -> GatewayResult:
            charge = self._locked_charge(reference)
            if charge is None:
                return GatewayResult(False, error_code="no_such_charge")
            if charge.captured > 0:
                return GatewayResult(False, error_code="already_captured")
            charge.is_voided = True
            charge.save(update_fields=["is_voided"])
            return GatewayResult(True, reference=reference)

        return self._once(idempotency_key, "void", work)

    def increase_authorization(
        self, *, reference: str, amount: Decimal, idempotency_key: str
    ) -> GatewayResult:
        def work() -> GatewayResult:
            charge = self._locked_charge(reference)
            if charge is None:
                return GatewayResult(False, error_code="no_such_charge")
            if charge.is_voided:
                return GatewayResult(False, error_code="charge_voided")
            if amount <= 0:
                return GatewayResult(False, error_code="invalid_amount")
            if charge.card_last4 in INCREASE_DECLINES:
                code, message = INCREASE_DECLINES[charge.card_last4]
                return GatewayResult(False, error_code=code, error_message=message)
            charge.authorized += amount
            charge.save(update_fields=["authorized"])
            return GatewayResult(True, reference=reference)

        return self._once(idempotency_key, "increase", work)
