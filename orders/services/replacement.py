"""Reshipping lost or damaged items: a linked replacement order at no charge, placed through the
normal placement service (so stock, shipments, events and outbox all happen the usual way)."""

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db import models, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from oms.actors import Actor
from oms.exceptions import InvalidTransition, ValidationFailed
from orders import money, selectors
from orders.models import Order, OrderEvent, OrderLine
from orders.services import events
from orders.services.placement import CustomerInput, LineInput, OrderInput, place_order


class ReplacementReason(models.TextChoices):
    LOST = "lost", gettext_lazy("Lost in transit")
    DAMAGED = "damaged", gettext_lazy("Arrived damaged")
    DEFECTIVE = "defective", gettext_lazy("Defective")
    WRONG_ITEM = "wrong_item", gettext_lazy("Wrong item sent")
    MISSING_ITEM = "missing_item", gettext_lazy("Missing from the parcel")
    OTHER = "other", gettext_lazy("Other")


@dataclass(frozen=True)
class ReplacementPlan:
    lines: list[tuple[OrderLine, int]]
    # What the replaced units are worth (unit price times units): the amount the authority
    # matrix weighs a reship by.
    value: Decimal


def _error(field: str, code: str, message: str) -> dict[str, str]:
    return {"field": field, "code": code, "message": message}


def replaced_units(order: Order) -> dict[str, int]:
    """Units per SKU already sent again in this order's replacement orders (not cancelled)."""
    units: dict[str, int] = defaultdict(int)
    for sku, quantity, cancelled in OrderLine.objects.filter(
        order__original_order=order, order__channel=Order.Channel.REPLACEMENT
    ).values_list("sku", "quantity", "quantity_cancelled"):
        units[sku] += quantity - cancelled
    return units


def replacements_value(order: Order) -> Decimal:
    """What this order's replacements were worth, at the original order's unit prices."""
    prices = dict(OrderLine.objects.filter(order=order).values_list("sku", "unit_price"))
    return money.quantize(
        sum(
            (prices.get(sku, Decimal(0)) * units for sku, units in replaced_units(order).items()),
            Decimal(0),
        ),
        order.currency,
    )


def replaceable_units(order: Order, lines: list[OrderLine] | None = None) -> dict[int, int]:
    """Per line id, the units that may still be sent again: shipped, less returned, less
    already replaced."""
    already = replaced_units(order)
    if lines is None:
        lines = list(OrderLine.objects.filter(order=order))
    return {
        line.pk: max(0, line.quantity_shipped - line.quantity_returned - already.get(line.sku, 0))
        for line in lines
    }


def plan_replacement(
    *, order: Order, lines: list[tuple[int, int]], reason: str, note: str
) -> ReplacementPlan:
    """Validate a replacement without changing anything. Only units that shipped may be
    replaced, less those returned and those already replaced; every line at most once."""
    errors = []
    if reason not in ReplacementReason.values:
        errors.append(_error("reason", "invalid_reason", _("Choose a reason.")))
    if not (note or "").strip():
        errors.append(_error("note", "required", _("Write a note: what happened to the parcel.")))
    order_lines = {line.pk: line for line in OrderLine.objects.filter(order=order)}
    room = replaceable_units(order, list(order_lines.values()))
    wanted: dict[int, int] = defaultdict(int)
    for line_id, units in lines:
        wanted[int(line_id)] += int(units)
    chosen = []
    for line_id, units in wanted.items():
        line = order_lines.get(line_id)
        if line is None:
            errors.append(
                _error(
                    "lines",
                    "unknown_line",
                    _("Line %(line)s is not on order %(number)s.")
                    % {"line": line_id, "number": order.number},
                )
            )
            continue
        if units == 0:
            continue
        most = room[line.pk]
        if units < 0 or units > most:
            errors.append(
                _error(
                    "lines",
                    "quantity_not_replaceable",
                    _("Line %(number)s (%(sku)s): at most %(most)s shipped units can be replaced.")
                    % {"number": line.line_number, "sku": line.sku, "most": most},
                )
            )
            continue
        chosen.append((line, units))
    if not chosen and not any(e["field"] == "lines" for e in errors):
        errors.append(
            _error("lines", "required", _("Choose at least one shipped unit to replace."))
        )
    if errors:
        raise ValidationFailed(
            "This replacement is not valid.", code="invalid_replacement", errors=errors
        )
    chosen.sort(key=lambda pair: pair[0].line_number)
    value = money.quantize(
        sum((line.unit_price * units for line, units in chosen), Decimal(0)), order.currency
    )
    return ReplacementPlan(lines=chosen, value=value)


@transaction.atomic
def place_replacement_order(
    *, order: Order, lines: list[tuple[int, int]], reason: str, note: str, actor: Actor
) -> Order:
    """Send shipped units again at no charge: a new order in channel `replacement` linked to
    the original (`original_order`), same customer and address, unit prices and shipping 0, so
    it confirms without payment and goes to the warehouses. The original order's timeline
    records it. Under the original order's lock, so two reps cannot replace the same units
    twice. Raises ValidationFailed, InvalidTransition (cancelled) or InsufficientStock (nothing
    is created)."""
    order = selectors.lock_order(order.pk)
    if order.status == Order.Status.CANCELLED:
        raise InvalidTransition(
            _("Order %(number)s is cancelled; nothing of it can be replaced.")
            % {"number": order.number},
            code="order_not_replaceable",
            extra={"current_status": order.status},
        )
    plan = plan_replacement(order=order, lines=lines, reason=reason, note=note)
    replacement = place_order(
        data=OrderInput(
            channel=Order.Channel.REPLACEMENT,
            customer=CustomerInput.of_order(order),
            shipping_address=order.shipping_address,
            billing_address=order.billing_address,
            shipping_method=order.shipping_method,
            shipping_price=Decimal(0),
            currency=order.currency,
            lines=[
                LineInput(sku=line.sku, quantity=units, unit_price=Decimal(0))
                for line, units in plan.lines
            ],
            note=f"Replacement for order {order.number} ({reason}): {note.strip()}"[:2000],
            original_order_id=order.pk,
        ),
        actor=actor,
    )
    events.record(
        order,
        OrderEvent.Type.REPLACEMENT,
        actor=actor,
        reason=reason,
        data={
            "replacement": replacement.number,
            "lines": [{"sku": line.sku, "quantity": units} for line, units in plan.lines],
            "value": plan.value,
            "note": note.strip(),
        },
        notify="order.updated",
    )
    return replacement
