"""Placing an order: validate and price, allocate stock, authorize payment, confirm.

The stock lock is held only while allocating (a short transaction); the gateway is called after
that transaction commits, and a decline releases the allocation again. So a slow gateway never
makes other orders wait on stock rows.
"""

import logging
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db import IntegrityError, connection, transaction
from django.db.models import Max
from django.utils import timezone

from oms.actors import Actor
from oms.exceptions import (
    Conflict,
    GatewayUnavailable,
    InsufficientStock,
    PaymentFailed,
    ValidationFailed,
)
from orders import allocation, money, pricing, selectors
from orders.models import Allocation, Order, OrderEvent, OrderLine, StockMovement, Variant
from orders.services import events, fulfilment, inventory, lifecycle, payments
from orders.services.customers import get_or_create_customer, remember_address

logger = logging.getLogger(__name__)

ORDER_NUMBER_START = 100000
# Business days from placement to the promised delivery, per shipping method.
PROMISE_BUSINESS_DAYS = {"standard": 5, "express": 2, "next_day": 1, "pickup": 2}


@dataclass(frozen=True)
class LineInput:
    sku: str
    quantity: int
    unit_price: Decimal | None = None  # None: the catalogue price
    discount: Decimal = Decimal(0)


@dataclass(frozen=True)
class CustomerInput:
    email: str
    name: str
    phone: str = ""
    locale: str = "en"
    country: str = "US"

    @classmethod
    def of_order(cls, order: Order) -> "CustomerInput":
        """The customer of `order`, for an order that follows it (a replacement, an exchange):
        their email and language, and the name and country the parcel went to when the
        customer record lacks them."""
        address = order.shipping_address
        return cls(
            email=order.customer.email,
            name=order.customer.name or address.get("name", ""),
            phone=order.phone,
            locale=order.locale,
            country=address.get("country", "US"),
        )


@dataclass(frozen=True)
class PaymentInput:
    gateway: str = "sandbox"
    token: str = ""


@dataclass(frozen=True)
class OrderInput:
    channel: str
    customer: CustomerInput
    shipping_address: dict
    lines: list[LineInput]
    shipping_method: str = "standard"
    shipping_price: Decimal = Decimal(0)
    currency: str = "USD"
    billing_address: dict | None = None
    external_reference: str = ""
    promised_delivery_date: date | None = None
    payment: PaymentInput | None = None
    note: str = ""
    original_order_id: int | None = None
    extra: dict = field(default_factory=dict)


def add_business_days(start: date, days: int) -> date:
    current = start
    while days > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            days -= 1
    return current


def next_order_number() -> str:
    """Sequential, human-friendly numbers. PostgreSQL: a sequence (no lock, no gaps matter);
    SQLite (local demo): max + 1 inside the writer's exclusive transaction."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT nextval('orders_order_number_seq')")
            return str(cursor.fetchone()[0])
    highest = Order.objects.aggregate(m=Max("id"))["m"] or 0
    return str(ORDER_NUMBER_START + highest + 1)


def _error(field: str, code: str, message: str) -> dict[str, str]:
    return {"field": field, "code": code, "message": message}


def _amount_errors(field: str, amount: Decimal, currency: str) -> list[dict[str, str]]:
    """An amount must be finite, fit the money columns, and use the currency's decimals."""
    amount = Decimal(amount)
    if not amount.is_finite() or amount < 0 or amount > money.MAX_AMOUNT:
        return [_error(field, "invalid_amount", f"Must be between 0 and {money.MAX_AMOUNT}.")]
    if money.is_known_currency(currency) and not money.has_valid_precision(amount, currency):
        decimals = money.CURRENCY_EXPONENTS[currency]
        return [_error(field, "invalid_precision", f"{currency} has {decimals} decimals.")]
    return []


def _validate(data: OrderInput, variants: dict[str, Variant]) -> None:
    """Every rule an order's input must meet, reported together with field paths."""
    errors = []
    if not money.is_known_currency(data.currency):
        errors.append(
            _error("currency", "unknown_currency", f"{data.currency} is not an accepted currency.")
        )
    if not data.lines:
        errors.append(_error("lines", "empty", "An order needs lines."))
    errors += _amount_errors("shipping_price", data.shipping_price, data.currency)
    seen = set()
    for index, line in enumerate(data.lines):
        prefix = f"lines.{index}"
        variant = variants.get(line.sku)
        if line.sku in seen:
            errors.append(
                _error(
                    f"{prefix}.sku",
                    "duplicate_sku",
                    f"{line.sku} appears twice; send one line per SKU.",
                )
            )
        seen.add(line.sku)
        if variant is None or not variant.is_active:
            errors.append(
                _error(
                    f"{prefix}.sku",
                    "unknown_sku",
                    f"SKU {line.sku} does not exist or is not for sale.",
                )
            )
            continue
        if variant.currency != data.currency:
            errors.append(
                _error(
                    "currency",
                    "currency_mismatch",
                    f"{line.sku} is priced in {variant.currency}, not {data.currency}.",
                )
            )
            continue
        unit_price = variant.price if line.unit_price is None else line.unit_price
        amount_errors = _amount_errors(f"{prefix}.unit_price", unit_price, data.currency)
        amount_errors += _amount_errors(f"{prefix}.discount", line.discount, data.currency)
        errors += amount_errors
        if not amount_errors and line.discount > unit_price * line.quantity:
            errors.append(
                _error(
                    f"{prefix}.discount",
                    "discount_exceeds_line",
                    "The discount is larger than the line.",
                )
            )
    if errors:
        raise ValidationFailed("The order is not valid.", code="invalid_order", errors=errors)


def _duplicate_reference(data: OrderInput) -> Conflict:
    existing = (
        Order.objects.filter(channel=data.channel, external_reference=data.external_reference)
        .values_list("number", flat=True)
        .first()
    )
    return Conflict(
        f"Order {existing} already has external reference {data.external_reference!r} "
        f"in channel {data.channel}.",
        code="duplicate_external_reference",
        extra={"order_number": existing},
    )


def _create_and_allocate(data: OrderInput, variants: dict[str, Variant], actor: Actor) -> Order:
    """First transaction: the order, its lines, and stock allocated under row locks."""
    demand = {variants[line.sku].pk: line.quantity for line in data.lines}
    with transaction.atomic():
        # Customer rows first: the stock locks below are then held for as short as possible.
        customer = get_or_create_customer(
            email=data.customer.email,
            name=data.customer.name,
            phone=data.customer.phone,
            locale=data.customer.locale,
            country=data.customer.country,
        )
        remember_address(customer, data.shipping_address)
        stocks = selectors.lock_stock_for_variants(demand)
        options = [
            allocation.StockOption(
                s.pk, s.warehouse_id, s.warehouse.priority, s.variant_id, s.on_hand - s.allocated
            )
            for s in stocks
        ]
        picks = allocation.choose_sources(demand, options)
        if picks is None:
            short = sorted(
                line.sku
                for line in data.lines
                if sum(o.available for o in options if o.variant_id == variants[line.sku].pk)
                < line.quantity
            )
            raise InsufficientStock(
                f"Not enough stock for {', '.join(short)}.", extra={"skus": short}
            )
        order = Order(
            number=next_order_number(),
            channel=data.channel,
            external_reference=data.external_reference,
            customer=customer,
            email=data.customer.email.strip().lower(),
            phone=data.customer.phone,
            locale=data.customer.locale,
            shipping_address=data.shipping_address,
            billing_address=data.billing_address or data.shipping_address,
            shipping_method=data.shipping_method,
            shipping_price=money.quantize(data.shipping_price, data.currency),
            currency=data.currency,
            promised_delivery_date=data.promised_delivery_date
            or add_business_days(
                timezone.localdate(), PROMISE_BUSINESS_DAYS.get(data.shipping_method, 5)
            ),
            note=data.note,
            original_order_id=data.original_order_id,
            **actor.as_fields("placed_by"),
        )
        lines = [
            OrderLine(
                line_number=index,
                variant=variants[line.sku],
                sku=line.sku,
                name=variants[line.sku].name,
                quantity=line.quantity,
                unit_price=variants[line.sku].price if line.unit_price is None else line.unit_price,
                discount=line.discount,
                is_final_sale=variants[line.sku].is_final_sale,
            )
            for index, line in enumerate(data.lines, start=1)
        ]
        totals = pricing.order_totals(order, lines)
        order.subtotal, order.discount_total = totals.subtotal, totals.discount_total
        order.shipping_total, order.total = totals.shipping_total, totals.total
        try:
            with transaction.atomic():
                order.save()
        except IntegrityError:
            raise _duplicate_reference(data) from None
        for line in lines:
            line.order = order
        OrderLine.objects.bulk_create(lines)
        line_by_variant = {line.variant_id: line for line in lines}
        Allocation.objects.bulk_create(
            Allocation(
                order=order,
                line=line_by_variant[p.variant_id],
                warehouse_id=p.warehouse_id,
                stock_id=p.stock_id,
                quantity=p.quantity,
            )
            for p in picks
        )
        inventory.move_allocated(
            {p.stock_id: p.quantity for p in picks},
            kind=StockMovement.Kind.ALLOCATION,
            actor=actor,
            reason=f"order {order.number}",
            order=order,
        )
        events.record(
            order,
            OrderEvent.Type.PLACED,
            actor=actor,
            data={"warehouses": sorted({p.warehouse_id for p in picks})},
            notify="order.created",
        )
    return order


def place_order(*, data: OrderInput, actor: Actor, await_payment: bool = False) -> Order:
    """Place an order: allocate from the fewest warehouses, authorize payment, confirm.

    With `await_payment` the order stays in pending payment with its stock reserved, for a
    customer who pays later through a payment link (assisted orders); abandoned ones are
    cancelled by cancel_abandoned_orders.

    Raises ValidationFailed (bad input), Conflict (duplicate external reference),
    InsufficientStock (nothing created) or PaymentFailed (the order exists, cancelled).
    """
    skus = [line.sku for line in data.lines]
    variants = {v.sku: v for v in Variant.objects.filter(sku__in=skus)}
    _validate(data, variants)
    if (
        data.external_reference
        and Order.objects.filter(
            channel=data.channel, external_reference=data.external_reference
        ).exists()
    ):
        raise _duplicate_reference(data)
    order = _create_and_allocate(data, variants, actor)
    if await_payment and order.total > 0:
        return order
    if order.total == 0:
        return confirm_order(order=order, actor=actor)
    payment_input = data.payment or PaymentInput()
    outcome = payments.authorize_order_payment(
        order=order, gateway=payment_input.gateway, token=payment_input.token, actor=actor
    )
    if outcome.is_success:
        return confirm_order(order=order, actor=actor)
    lifecycle.cancel_order(
        order=order,
        actor=Actor.system("payment"),
        reason=f"payment {outcome.error_code}",
        notify_customer=False,  # the checkout told them; a "cancelled" email would confuse
    )
    extra = {"order_number": order.number, "decline_code": outcome.error_code}
    if outcome.error_code == payments.GATEWAY_ERROR:
        raise GatewayUnavailable(
            f"The payment gateway failed; order {order.number} was cancelled. Retry with a new "
            "Idempotency-Key.",
            extra=extra,
        )
    raise PaymentFailed(
        outcome.error_message or "The payment was declined.", code="payment_declined", extra=extra
    )


@transaction.atomic
def confirm_order(*, order: Order, actor: Actor) -> Order:
    """Payment is secured: confirm and hand the allocations to the warehouses as shipments."""
    order = selectors.lock_order(order.pk)
    if order.status != Order.Status.PENDING_PAYMENT:
        return order
    order.status = Order.Status.CONFIRMED
    order.save(update_fields=["status", "updated_at"])
    events.record(order, OrderEvent.Type.CONFIRMED, actor=actor, notify="order.confirmed")
    fulfilment.create_initial_shipments(order=order, actor=actor)
    return order
