"""Store credit as a payment method: a PaymentGateway (orders.gateways.PaymentGateway) over the
customer's store-credit ledger, registered as "store_credit" by ReturnsConfig.ready().

- The token names the customer whose credit pays: `store_credit_token(customer)` gives
  "customer:<id>". The order's payment service checks, before any call, that it names the
  order's own customer (`verify_token`), so one customer's credit never pays another's order.
- authorize = debit the credit (a ledger entry of kind payment). Credit is money already held,
  so the payment counts as captured at once (`captures_at_authorization`): what the order no
  longer owes (a cancelled line, a cancelled order, a return) comes back as a refund.
  Insufficient balance declines cleanly and writes nothing.
- capture = nothing to do (already taken); refund = credit back (kind reversal), never more
  than was debited; void = credit back whatever is left of the debit.
- Every ledger reference is derived from the call's idempotency key, so a retried call finds
  the entry the first one wrote and moves nothing twice (StoreCreditEntry is unique by kind
  and reference, and every write takes the customer's lock).
"""

import hashlib
import re
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum

from oms.actors import Actor
from oms.exceptions import DomainError
from orders.models import Customer, Order, Payment
from orders.services.payments import GatewayResult
from returns.models import StoreCreditEntry
from returns.services import store_credit

NAME = "store_credit"
Kind = StoreCreditEntry.Kind
ACTOR = Actor.system("store-credit")
TOKEN = re.compile(r"^customer:(\d+)$")
REFERENCE = re.compile(r"^sc:(\d+)$")
ORDER_KEY = re.compile(r"^order:(\d+):authorize")
PAYMENT_KEY = re.compile(r"^(?:hold:)?payment:(\d+):")


def store_credit_token(customer: Customer | int) -> str:
    """The payment token that pays with this customer's store credit."""
    return f"customer:{customer if isinstance(customer, int) else customer.pk}"


def customer_id_from_token(token: str) -> int | None:
    match = TOKEN.match((token or "").strip())
    return int(match.group(1)) if match else None


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:40]


def _order_for_key(key: str) -> Order | None:
    """The order an idempotency key of the payment service is about (for the ledger's link)."""
    match = ORDER_KEY.match(key)
    if match:
        return Order.objects.filter(pk=int(match.group(1))).first()
    match = PAYMENT_KEY.match(key)
    if match:
        order_id = (
            Payment.objects.filter(pk=int(match.group(1)))
            .values_list("order_id", flat=True)
            .first()
        )
        return Order.objects.filter(pk=order_id).first() if order_id else None
    return None


def _declined(code: str, message: str) -> GatewayResult:
    return GatewayResult(False, method_label="Store credit", error_code=code, error_message=message)


class StoreCreditGateway:
    name = NAME
    # The debit is the payment: settle_payments treats the authorized amount as captured.
    captures_at_authorization = True

    def verify_token(self, *, token: str, customer_id: int) -> bool:
        """Whether `token` may pay an order of `customer_id` (it names that very customer)."""
        return customer_id_from_token(token) == customer_id

    def authorize(
        self, *, amount: Decimal, currency: str, token: str, idempotency_key: str
    ) -> GatewayResult:
        customer_id = customer_id_from_token(token)
        if customer_id is None or not Customer.objects.filter(pk=customer_id).exists():
            return _declined("invalid_token", "No store credit account for this token.")
        order = _order_for_key(idempotency_key)
        try:
            entry = store_credit.debit_credit(
                customer=Customer(pk=customer_id),
                amount=amount,
                currency=currency,
                reference=f"pay:{_digest(idempotency_key)}",
                reason=f"order {order.number}" if order else "paid an order",
                actor=ACTOR,
                order=order,
            )
        except DomainError as exc:  # insufficient_store_credit, or an amount it cannot take
            return _declined(exc.code, exc.message)
        return GatewayResult(True, reference=f"sc:{entry.pk}", method_label="Store credit")

    def capture(self, *, reference: str, amount: Decimal, idempotency_key: str) -> GatewayResult:
        if self._debit(reference) is None:
            return GatewayResult(False, error_code="no_such_charge")
        return GatewayResult(True, reference=reference)

    def _debit(self, reference: str) -> StoreCreditEntry | None:
        match = REFERENCE.match(reference or "")
        if not match:
            return None
        return StoreCreditEntry.objects.filter(pk=int(match.group(1)), kind=Kind.PAYMENT).first()

    def _credit_back(
        self, *, reference: str, amount: Decimal | None, idempotency_key: str
    ) -> GatewayResult:
        debit = self._debit(reference)
        if debit is None:
            return GatewayResult(False, error_code="no_such_charge")
        credit_reference = f"sc{debit.pk}:{_digest(idempotency_key)}"
        with transaction.atomic():
            # The customer's lock (every ledger write takes it) makes check-then-credit safe.
            Customer.objects.select_for_update().get(pk=debit.customer_id)
            if StoreCreditEntry.objects.filter(
                kind=Kind.REVERSAL, reference=credit_reference
            ).exists():
                return GatewayResult(True, reference=reference)  # a retry
            returned = StoreCreditEntry.objects.filter(
                kind=Kind.REVERSAL, reference__startswith=f"sc{debit.pk}:"
            ).aggregate(s=Sum("amount"))["s"] or Decimal(0)
            left = -debit.amount - returned
            value = left if amount is None else amount
            if value > left:
                return GatewayResult(False, error_code="amount_too_large")
            if value > 0:
                order = debit.order
                store_credit.issue_credit(
                    customer=Customer(pk=debit.customer_id),
                    amount=value,
                    currency=debit.currency,
                    kind=Kind.REVERSAL,
                    reference=credit_reference,
                    reason=f"order {order.number}" if order else "payment returned",
                    actor=ACTOR,
                )
        return GatewayResult(True, reference=reference)

    def refund(self, *, reference: str, amount: Decimal, idempotency_key: str) -> GatewayResult:
        return self._credit_back(
            reference=reference, amount=amount, idempotency_key=idempotency_key
        )

    def void(self, *, reference: str, idempotency_key: str) -> GatewayResult:
        return self._credit_back(reference=reference, amount=None, idempotency_key=idempotency_key)

    def increase_authorization(
        self, *, reference: str, amount: Decimal, idempotency_key: str
    ) -> GatewayResult:
        # The credit was debited once; a larger order needs another payment.
        return _declined("not_supported", "Store credit cannot be increased.")
