"""What an edit would do, without writing anything: who may change, whether there is stock,
and the payment difference (charge, refund or a lower amount due)."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import F, Sum
from django.utils.translation import gettext as _

from oms.exceptions import InsufficientStock, InvalidTransition
from orders import money, pricing
from orders.models import Order, OrderLine, Payment, Shipment, Stock
from orders.services import payments
from orders.services.edits.inputs import OrderEdit, load_variants
from orders.services.edits.plan import LineChange, Plan, build_plan

# A parcel still being prepared may change; a packed one would have to be unpacked.
CHANGEABLE_SHIPMENTS = frozenset(
    {Shipment.Status.PENDING, Shipment.Status.PICKING, Shipment.Status.CANCELLED}
)


class Difference:
    CHARGE = "charge"  # the customer pays more: the authorization covers it
    REFUND = "refund"  # money already captured goes back
    LOWER_AMOUNT_DUE = "lower_amount_due"  # less will be captured; nothing to give back
    NONE = "none"


@dataclass(frozen=True)
class EditPreview:
    order_number: str
    currency: str
    current: pricing.Totals
    new: pricing.Totals
    lines: list[LineChange]
    changes: dict[str, Any]
    difference: Decimal  # new total - current total
    difference_kind: str
    refund_amount: Decimal  # of the difference, what is refunded (captured money)
    authorization_increase: Decimal  # how much the card authorization must grow first
    address: dict
    shipping_method: str
    shipping_price: Decimal
    promised_delivery_date: date | None


def refuse_if_not_modifiable(order: Order, lines: list[OrderLine], shipments: list[Shipment]):
    """Nothing that has shipped or been packed may change (InvalidTransition otherwise)."""
    extra = {"current_status": order.status}
    if order.status == Order.Status.CANCELLED:
        raise InvalidTransition(
            _("Order %(number)s is cancelled; it can no longer be modified.")
            % {"number": order.number},
            code="order_cancelled",
            extra=extra,
        )
    if not order.is_unshipped or any(line.quantity_shipped for line in lines):
        raise InvalidTransition(
            _("Order %(number)s has shipped; it can no longer be modified.")
            % {"number": order.number},
            code="order_already_shipped",
            extra=extra,
        )
    packed = [s.number for s in shipments if s.status not in CHANGEABLE_SHIPMENTS]
    if packed:
        raise InvalidTransition(
            _("Shipment %(shipments)s is already packed; the order can no longer be modified.")
            % {"shipments": ", ".join(packed)},
            code="order_already_packed",
            extra={**extra, "shipments": packed},
        )


def check_stock(plan: Plan) -> None:
    """Enough units for what the edit adds, counting the units it gives back (InsufficientStock
    names the short SKUs). `apply` decides the warehouses under the stock locks."""
    needed: dict[int, int] = defaultdict(int)
    sku_of: dict[int, str] = {}
    for line, units in plan.demand:
        needed[line.variant_id] += units
        sku_of[line.variant_id] = line.sku
    if not needed:
        return
    freed: dict[int, int] = defaultdict(int)
    by_id = {line.pk: line for line in plan.lines}
    for line_id, units in plan.releases.items():
        freed[by_id[line_id].variant_id] += units
    available = dict(
        Stock.objects.filter(variant_id__in=needed, warehouse__is_active=True)
        .values("variant_id")
        .annotate(units=Sum(F("on_hand") - F("allocated")))
        .values_list("variant_id", "units")
    )
    short = sorted(
        sku_of[variant_id]
        for variant_id, units in needed.items()
        if units > (available.get(variant_id) or 0) + freed[variant_id]
    )
    if short:
        raise insufficient_stock(short)


def insufficient_stock(skus: list[str]) -> InsufficientStock:
    return InsufficientStock(
        _("Not enough stock for %(skus)s.") % {"skus": ", ".join(skus)}, extra={"skus": skus}
    )


def describe(plan: Plan, live: list[Payment]) -> EditPreview:
    """The preview of a plan: totals, line changes and what happens to the money."""
    order, currency = plan.order, plan.order.currency
    difference = plan.new.total - plan.current.total
    collected = sum((p.amount_captured - p.amount_refunded for p in live), Decimal(0))
    refund = money.zero(currency)
    if difference > 0:
        kind = Difference.CHARGE
    elif difference < 0:
        refund = money.quantize(
            max(Decimal(0), min(-difference, collected - plan.new.total)), currency
        )
        kind = Difference.REFUND if refund > 0 else Difference.LOWER_AMOUNT_DUE
    else:
        kind = Difference.NONE
    increase = Decimal(0)
    if order.status != Order.Status.PENDING_PAYMENT:
        increase = max(Decimal(0), plan.new.total - payments.authorization_cover(live))
    changes = {
        **plan.changes,
        "totals": {"old": plan.current.total, "new": plan.new.total},
        "difference": difference,
        "difference_kind": kind,
    }
    return EditPreview(
        order_number=order.number,
        currency=currency,
        current=plan.current,
        new=plan.new,
        lines=plan.line_changes,
        changes=changes,
        difference=difference,
        difference_kind=kind,
        refund_amount=refund,
        authorization_increase=money.quantize(increase, currency),
        address=order.shipping_address,
        shipping_method=order.shipping_method,
        shipping_price=order.shipping_price,
        promised_delivery_date=order.promised_delivery_date,
    )


def preview_order_edit(*, order: Order, edit: OrderEdit) -> EditPreview:
    """What the edit would do, without writing anything: new totals, line by line changes and
    the payment difference. Raises InvalidTransition (shipped, packed or cancelled order),
    ValidationFailed (bad input, nothing changed) or InsufficientStock."""
    order = Order.objects.get(pk=order.pk)  # a copy of its own: the plan changes it in memory
    lines = list(OrderLine.objects.filter(order=order))
    refuse_if_not_modifiable(order, lines, list(Shipment.objects.filter(order=order)))
    plan = build_plan(order, lines, edit, load_variants(edit))
    check_stock(plan)
    return describe(plan, payments.live_payments(order))
