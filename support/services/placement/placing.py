"""Placing the assisted order: customer, address and payment resolved, the order placed, its
discount recorded, and a payment link sent when the customer pays later."""

from typing import NamedTuple

from django.db import transaction
from django.utils.translation import gettext as _

from oms.actors import Actor
from oms.exceptions import InsufficientStock, ValidationFailed
from orders import money
from orders.models import (
    Address,
    Customer,
    Order,
    OrderAdjustment,
    OrderEvent,
    OrderLine,
    SavedPaymentMethod,
)
from orders.services import events
from orders.services.payment_links import send_payment_link
from orders.services.placement import CustomerInput, OrderInput, PaymentInput, place_order
from returns import selectors as return_selectors
from returns.gateway import NAME as STORE_CREDIT_GATEWAY
from returns.gateway import store_credit_token
from support.models import Case
from support.selectors.placement import skus_with_stock
from support.services.case_links import record_action
from support.services.placement.inputs import (
    PAYMENT_LINK,
    STORE_CREDIT,
    AssistedOrder,
    Discount,
    field_error,
)
from support.services.placement.quoting import Quote, check_discount_authority, quote


def _customer_and_input(data: AssistedOrder) -> tuple[Customer | None, CustomerInput]:
    if data.customer_id is not None:
        customer = Customer.objects.filter(pk=data.customer_id).first()
        if customer is None:
            raise ValidationFailed(
                "Unknown customer.",
                code="unknown_customer",
                errors=[field_error("customer", "unknown", _("This customer no longer exists."))],
            )
        return customer, CustomerInput(
            email=customer.email,
            name=customer.name,
            phone=customer.phone,
            locale=customer.locale,
            country=customer.country,
        )
    new = data.new_customer
    if new is None:
        raise ValidationFailed(
            "No customer.",
            code="customer_required",
            errors=[field_error("customer", "required", _("Find a customer or enter a new one."))],
        )
    if Customer.objects.filter(email__iexact=new.email.strip()).exists():
        raise ValidationFailed(
            "A customer with this email exists.",
            code="customer_exists",
            errors=[
                field_error(
                    "new_email",
                    "customer_exists",
                    _("A customer with this email already exists: find them above."),
                )
            ],
        )
    return None, new


def _shipping_address(data: AssistedOrder, customer: Customer | None) -> dict:
    if data.address_id is not None:
        address = (
            Address.objects.filter(pk=data.address_id, customer=customer).first()
            if customer
            else None
        )
        if address is None:
            raise ValidationFailed(
                "Unknown address.",
                code="unknown_address",
                errors=[
                    field_error("address", "unknown", _("Choose one of the customer's addresses."))
                ],
            )
        return address.as_snapshot()
    if not data.new_address:
        raise ValidationFailed(
            "No address.",
            code="address_required",
            errors=[field_error("address", "required", _("Choose or enter a shipping address."))],
        )
    return data.new_address


class Paying(NamedTuple):
    """What pays an assisted order: the payment to authorize at placement (None: a payment
    link), its kind for the case record, and how the case summary names it."""

    payment: PaymentInput | None
    kind: str  # "link", "saved_method" or "store_credit"
    label: str


def _store_credit(customer: Customer | None, placed: Quote) -> Paying:
    """The customer's store credit, which must cover the whole quoted total (the gateway
    checks it again under the customer's lock, so a race still declines cleanly)."""
    if customer is None:
        raise ValidationFailed(
            "Store credit needs an existing customer.",
            code="unknown_payment_method",
            errors=[
                field_error(
                    "payment", "unknown", _("Only an existing customer can pay with store credit.")
                )
            ],
        )
    available = return_selectors.balance(customer, placed.currency)
    if available < placed.totals.total:
        message = _(
            "The customer's store credit (%(balance)s %(currency)s) does not cover the total "
            "of %(total)s %(currency)s: choose another method or send a payment link."
        ) % {
            "balance": available,
            "total": money.quantize(placed.totals.total, placed.currency),
            "currency": placed.currency,
        }
        raise ValidationFailed(
            message,
            code="insufficient_store_credit",
            errors=[field_error("payment", "insufficient_store_credit", message)],
            extra={"balance": str(available)},
        )
    return Paying(
        PaymentInput(gateway=STORE_CREDIT_GATEWAY, token=store_credit_token(customer)),
        STORE_CREDIT,
        _("store credit"),
    )


def _payment(data: AssistedOrder, customer: Customer | None, placed: Quote) -> Paying:
    """A saved method of the customer's, their store credit, or a payment link."""
    if data.payment == PAYMENT_LINK:
        return Paying(None, PAYMENT_LINK, _("payment link sent"))
    if data.payment == STORE_CREDIT:
        return _store_credit(customer, placed)
    method = (
        SavedPaymentMethod.objects.filter(pk=data.payment, customer=customer).first()
        if customer and str(data.payment).isdigit()
        else None
    )
    if method is None:
        raise ValidationFailed(
            "Unknown payment method.",
            code="unknown_payment_method",
            errors=[
                field_error(
                    "payment",
                    "unknown",
                    _("Choose one of the customer's saved payment methods or a payment link."),
                )
            ],
        )
    return Paying(
        PaymentInput(gateway=method.gateway, token=method.token), "saved_method", method.label
    )


def _record_discount(
    order: Order, placed: Quote, discount: Discount, actor: Actor
) -> list[OrderAdjustment]:
    """The discount given at placement, for the record: one price adjustment per discounted
    line (each already part of its line's discount, so the totals do not change again)."""
    lines = {line.line_number: line for line in OrderLine.objects.filter(order=order)}
    adjustments = [
        OrderAdjustment(
            order=order,
            line=lines[number],
            kind=OrderAdjustment.Kind.PRICE_ADJUSTMENT,
            amount=line.discount,
            percentage=placed.percentage,
            reason_code=discount.reason_code,
            note=discount.note,
            **actor.as_fields(),
        )
        for number, line in enumerate(placed.lines, start=1)
        if line.discount > 0
    ]
    OrderAdjustment.objects.bulk_create(adjustments)
    events.record(
        order,
        OrderEvent.Type.ADJUSTED,
        actor=actor,
        reason=discount.reason_code,
        data={
            "kind": OrderAdjustment.Kind.PRICE_ADJUSTMENT,
            "amount": placed.discount,
            "percentage": placed.percentage,
            "note": discount.note,
            "at_placement": True,
            "lines": [
                {"line": number, "sku": line.sku, "amount": line.discount}
                for number, line in enumerate(placed.lines, start=1)
                if line.discount > 0
            ],
        },
    )
    return adjustments


def _stock_errors(exc: InsufficientStock, data: AssistedOrder, rows: dict) -> ValidationFailed:
    short = set(exc.extra.get("skus", []))
    errors = [
        field_error(
            f"lines.{index}",
            "insufficient_stock",
            _("Not enough stock: %(available)s available.")
            % {"available": rows[sku].available if sku in rows else 0},
        )
        for index, (sku, _quantity) in enumerate(data.lines)
        if sku in short
    ]
    return ValidationFailed(
        exc.message,
        code="insufficient_stock",
        errors=errors or [field_error("lines", "insufficient_stock", _("Not enough stock."))],
    )


def place_assisted_order(
    *, data: AssistedOrder, user, actor: Actor, case: Case | None = None
) -> Order:
    """Place an order for a customer as `user` (channel csr, placed by them), linked to the
    case they are working on.

    Refusals change nothing: bad input raises ValidationFailed (field names of the console's
    form), a discount above the rep's authority PermissionDenied, too little stock
    ValidationFailed on the lines. A saved method that is declined raises PaymentFailed and
    leaves no active order (placement cancels it). Store credit that does not cover the quoted
    total is refused on the payment field before anything is placed. With a payment link the
    order waits in pending payment and the customer is emailed the link."""
    customer, customer_input = _customer_and_input(data)
    address = _shipping_address(data, customer)
    rows = skus_with_stock([sku for sku, _ in data.lines])
    placed = quote(
        lines=data.lines,
        currency=data.currency,
        shipping_method=data.shipping_method,
        discount=data.discount,
        rows=rows,
    )
    paying = _payment(data, customer, placed)
    if placed.discount:
        check_discount_authority(user=user, amount=placed.discount, currency=data.currency)
    order_input = OrderInput(
        channel=Order.Channel.CSR,
        customer=customer_input,
        shipping_address=address,
        lines=placed.lines,
        shipping_method=data.shipping_method,
        shipping_price=placed.shipping_price,
        currency=data.currency,
        payment=paying.payment,
        note=data.note,
    )
    try:
        order = place_order(data=order_input, actor=actor, await_payment=paying.payment is None)
    except InsufficientStock as exc:
        raise _stock_errors(exc, data, rows) from exc
    with transaction.atomic():
        if placed.discount:
            _record_discount(order, placed, data.discount, actor)
        link_sent = paying.payment is None and order.status == Order.Status.PENDING_PAYMENT
        if link_sent:
            send_payment_link(order=order, actor=actor)
        record_action(
            case=case,
            actor=actor,
            action="order_placed",
            summary=_("Placed order %(number)s for %(total)s %(currency)s (%(payment)s).")
            % {
                "number": order.number,
                "total": money.quantize(order.total, order.currency),
                "currency": order.currency,
                "payment": paying.label if link_sent or paying.payment else "",
            },
            order=order,
            data={
                "order_number": order.number,
                "payment": paying.kind,
                "discount": placed.discount,
            },
        )
    return order
