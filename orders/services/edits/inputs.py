"""The edit a rep asks for, and the rules its input must meet (reported together, by field)."""

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from oms.exceptions import ValidationFailed
from orders import shipping
from orders.models import Order, OrderLine, Variant

MAX_QUANTITY = 10_000
ADDRESS_FIELDS = ("name", "line1", "line2", "city", "region", "postal_code", "country", "phone")
REQUIRED_ADDRESS_FIELDS = ("name", "line1", "city", "postal_code", "country")


@dataclass(frozen=True)
class OrderEdit:
    """What the rep asks for. `quantities` are the units wanted per line id (0 cancels the
    line's remaining units); `swaps` replace a line's remaining units with another SKU."""

    address: dict | None = None
    quantities: dict[int, int] = field(default_factory=dict)
    additions: list[tuple[str, int]] = field(default_factory=list)
    swaps: list[tuple[int, str]] = field(default_factory=list)
    shipping_method: str | None = None


def error(field_name: str, code: str, message: str) -> dict[str, str]:
    return {"field": field_name, "code": code, "message": str(message)}


def load_variants(edit: OrderEdit) -> dict[str, Variant]:
    skus = {sku for sku, _quantity in edit.additions} | {sku for _line, sku in edit.swaps}
    if not skus:
        return {}
    return {v.sku: v for v in Variant.objects.select_related("product").filter(sku__in=skus)}


def _variant_errors(field_name: str, sku: str, variant: Variant | None, currency: str) -> list:
    if variant is None or not (variant.is_active and variant.product.is_active):
        return [
            error(
                field_name,
                "unknown_sku",
                _("SKU %(sku)s does not exist or is not for sale.") % {"sku": sku},
            )
        ]
    if variant.currency != currency:
        return [
            error(
                field_name,
                "currency_mismatch",
                _("%(sku)s is priced in %(currency)s, not in the order's currency.")
                % {"sku": sku, "currency": variant.currency},
            )
        ]
    return []


def _is_quantity(value: Any, minimum: int) -> bool:
    return (
        isinstance(value, int) and not isinstance(value, bool) and minimum <= value <= MAX_QUANTITY
    )


def clean_address(address: dict) -> tuple[dict[str, str], list[dict[str, str]]]:
    cleaned = {key: str(address.get(key) or "").strip() for key in ADDRESS_FIELDS}
    cleaned["country"] = cleaned["country"].upper()
    errors = [
        error(f"address.{key}", "required", _("This field is required."))
        for key in REQUIRED_ADDRESS_FIELDS
        if not cleaned[key]
    ]
    if cleaned["country"] and not (len(cleaned["country"]) == 2 and cleaned["country"].isalpha()):
        errors.append(
            error("address.country", "invalid", _("Use a two-letter country code, e.g. US."))
        )
    return cleaned, errors


def validate_edit(order: Order, by_id: dict[int, OrderLine], edit: OrderEdit, variants) -> tuple:
    """Every rule the edit's input must meet, reported together with field paths."""
    errors: list[dict[str, str]] = []
    address = None
    if edit.address is not None:
        address, address_errors = clean_address(edit.address)
        errors += address_errors
    for line_id, quantity in edit.quantities.items():
        if line_id not in by_id:
            errors.append(
                error(f"quantities.{line_id}", "unknown_line", _("This line is not on the order."))
            )
        elif not _is_quantity(quantity, 0):
            errors.append(
                error(
                    f"quantities.{line_id}",
                    "invalid_quantity",
                    _("Enter a quantity between 0 and %(max)s.") % {"max": MAX_QUANTITY},
                )
            )
    swapped: dict[int, Variant] = {}
    for index, (line_id, sku) in enumerate(edit.swaps):
        line, variant = by_id.get(line_id), variants.get(sku)
        row_errors = _variant_errors(f"swaps.{index}.sku", sku, variant, order.currency)
        if line is None:
            row_errors.append(
                error(f"swaps.{index}.line", "unknown_line", _("This line is not on the order."))
            )
        elif line_id in swapped:
            row_errors.append(
                error(f"swaps.{index}.line", "duplicate_swap", _("This line is swapped twice."))
            )
        elif edit.quantities.get(line_id, line.quantity_active) == 0:
            row_errors.append(
                error(f"swaps.{index}.line", "nothing_to_swap", _("No units left to swap."))
            )
        elif not row_errors and variant.pk == line.variant_id:
            row_errors.append(error(f"swaps.{index}.sku", "same_sku", _("Choose a different SKU.")))
        errors += row_errors
        if not row_errors:
            swapped[line_id] = variant
    added: dict[str, int] = {}
    for index, (sku, quantity) in enumerate(edit.additions):
        row_errors = _variant_errors(
            f"additions.{index}.sku", sku, variants.get(sku), order.currency
        )
        if not _is_quantity(quantity, 1):
            row_errors.append(
                error(
                    f"additions.{index}.quantity",
                    "invalid_quantity",
                    _("Enter a quantity between 1 and %(max)s.") % {"max": MAX_QUANTITY},
                )
            )
        errors += row_errors
        if not row_errors:
            added[sku] = added.get(sku, 0) + quantity
    method_price = None
    if edit.shipping_method and edit.shipping_method != order.shipping_method:
        try:
            method_price = shipping.shipping_rate(edit.shipping_method, order.currency)
        except ValidationFailed as exc:
            errors += exc.errors
    if errors:
        raise ValidationFailed(_("The changes are not valid."), code="invalid_edit", errors=errors)
    return address, swapped, added, method_price
