"""An order edit applied in memory: the lines and totals it leaves (priced by orders.pricing,
nothing saved) and the stock it frees and needs. Preview and apply both build this plan."""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from oms.exceptions import ValidationFailed
from orders import money, pricing
from orders.models import Order, OrderLine, Variant
from orders.services.edits.inputs import OrderEdit, clean_address, error, validate_edit
from orders.services.placement import PROMISE_BUSINESS_DAYS, add_business_days


@dataclass(frozen=True)
class LineChange:
    line_id: int | None  # None: a line the edit adds
    line_number: int
    sku: str
    name: str
    kind: str  # unchanged, changed, added, swapped_out, swapped_in
    quantity_before: int
    quantity_after: int
    amount_before: Decimal
    amount_after: Decimal
    replaces_sku: str = ""


@dataclass
class Plan:
    """The order and its lines as the edit leaves them, in memory, and the stock moves."""

    order: Order
    lines: list[OrderLine]
    new_lines: list[OrderLine]
    releases: dict[int, int]  # existing line id -> units given back to stock
    demand: list[tuple[OrderLine, int]]  # line (existing or new) -> units to allocate
    current: pricing.Totals
    new: pricing.Totals
    line_changes: list[LineChange]
    changes: dict[str, Any]

    @property
    def all_lines(self) -> list[OrderLine]:
        return self.lines + self.new_lines


def _new_line(order: Order, number: int, variant: Variant, units: int, discount=Decimal(0)):
    return OrderLine(
        order=order,
        line_number=number,
        variant=variant,
        sku=variant.sku,
        name=variant.name,
        quantity=units,
        unit_price=variant.price,
        discount=min(discount, money.quantize(variant.price * units, order.currency)),
        is_final_sale=variant.is_final_sale,
    )


def _order_changes(order: Order, edit: OrderEdit, address, method_price) -> dict[str, Any]:
    """Apply the address and shipping method to `order` in memory; returns what changed."""
    currency = order.currency
    changes: dict[str, Any] = {}
    if address is not None:
        old_address, _old_errors = clean_address(order.shipping_address or {})
        if address != old_address:
            changes["address"] = {"old": order.shipping_address, "new": address}
            order.shipping_address = address
    if method_price is not None:
        promised = add_business_days(
            timezone.localdate(), PROMISE_BUSINESS_DAYS.get(edit.shipping_method, 5)
        )
        changes["shipping_method"] = {
            "old": order.shipping_method,
            "new": edit.shipping_method,
            "old_price": money.quantize(order.shipping_price, currency),
            "new_price": money.quantize(method_price, currency),
            "old_promised_delivery_date": order.promised_delivery_date,
            "new_promised_delivery_date": promised,
        }
        order.shipping_method = edit.shipping_method
        order.shipping_price = money.quantize(method_price, currency)
        order.promised_delivery_date = promised
    return changes


def _describe_lines(
    *, plan_lines, currency, before, amounts_before, swapped, replaced, changes
) -> list[LineChange]:
    """Line by line, before and after; swaps and additions are noted in `changes`."""
    lines, new_lines = plan_lines
    line_changes = []
    for line in lines:
        kind = "unchanged"
        if line.pk in swapped:
            kind = "swapped_out"
        elif line.quantity_active != before[line.pk]:
            kind = "changed"
        line_changes.append(
            LineChange(
                line.pk,
                line.line_number,
                line.sku,
                line.name,
                kind,
                before[line.pk],
                line.quantity_active,
                amounts_before[line.pk],
                pricing.line_amount(line, line.quantity_active, currency),
            )
        )
    for position, line in enumerate(new_lines):
        old = replaced.get(position)
        line_changes.append(
            LineChange(
                None,
                line.line_number,
                line.sku,
                line.name,
                "swapped_in" if old else "added",
                0,
                line.quantity,
                money.zero(currency),
                pricing.line_amount(line, line.quantity, currency),
                replaces_sku=old.sku if old else "",
            )
        )
        if old:
            changes.setdefault("swapped", []).append(
                {
                    "sku": line.sku,
                    "quantity": line.quantity,
                    "line": line.line_number,
                    "replaces_sku": old.sku,
                    "replaces_line": old.line_number,
                }
            )
        else:
            changes.setdefault("added", []).append(
                {"line": line.line_number, "sku": line.sku, "quantity": line.quantity}
            )
    return line_changes


def build_plan(
    order: Order, lines: list[OrderLine], edit: OrderEdit, variants: dict[str, Variant]
) -> Plan:
    """Apply the edit to `order` and `lines` in memory (nothing is saved) and price the result
    with orders.pricing. Raises ValidationFailed for bad input or an edit that changes nothing."""
    by_id = {line.pk: line for line in lines}
    address, swapped, added, method_price = validate_edit(order, by_id, edit, variants)
    currency = order.currency
    current = pricing.order_totals(order, lines)
    before = {line.pk: line.quantity_active for line in lines}
    amounts_before = {
        line.pk: pricing.line_amount(line, line.quantity_active, currency) for line in lines
    }
    releases: dict[int, int] = {}
    demand: list[tuple[OrderLine, int]] = []
    new_lines: list[OrderLine] = []
    replaced: dict[int, OrderLine] = {}  # new line's position -> the line it replaces
    next_number = max((line.line_number for line in lines), default=0) + 1
    for line_id, target in edit.quantities.items():
        line = by_id[line_id]
        if line_id in swapped or target == line.quantity_active:
            continue
        if target < line.quantity_active:
            releases[line_id] = line.quantity_active - target
            line.quantity_cancelled += releases[line_id]
        else:
            demand.append((line, target - line.quantity_active))
            line.quantity += target - line.quantity_active
    for line_id, variant in swapped.items():
        line = by_id[line_id]
        active = line.quantity_active
        units = edit.quantities.get(line_id, active)
        carried = pricing.line_discount(line, min(units, active), currency) if active else 0
        if active:
            releases[line_id] = active
            line.quantity_cancelled += active
        new = _new_line(order, next_number, variant, units, Decimal(carried))
        replaced[len(new_lines)] = line
        new_lines.append(new)
        demand.append((new, units))
        next_number += 1
    for sku, units in added.items():
        new = _new_line(order, next_number, variants[sku], units)
        new_lines.append(new)
        demand.append((new, units))
        next_number += 1
    changes = _order_changes(order, edit, address, method_price)
    if not (releases or demand or changes):
        raise ValidationFailed(
            _("Nothing would change."),
            code="nothing_changed",
            errors=[error("__all__", "nothing_changed", _("Nothing would change."))],
        )
    if all(line.quantity_active == 0 for line in lines + new_lines):
        message = _("This would remove every item; cancel the order instead.")
        raise ValidationFailed(
            message, code="edit_removes_everything", errors=[error("__all__", "empty", message)]
        )
    new = pricing.order_totals(order, lines + new_lines)
    line_changes = _describe_lines(
        plan_lines=(lines, new_lines),
        currency=currency,
        before=before,
        amounts_before=amounts_before,
        swapped=swapped,
        replaced=replaced,
        changes=changes,
    )
    quantity_changes = [
        {
            "line": c.line_number,
            "sku": c.sku,
            "quantity": c.quantity_after,
            "from": c.quantity_before,
        }
        for c in line_changes
        if c.kind == "changed"
    ]
    if quantity_changes:
        changes["quantities"] = quantity_changes
    return Plan(order, lines, new_lines, releases, demand, current, new, line_changes, changes)
