"""Modifying an order before it ships, from the console: a panel with the address, per-line
quantities and swaps, added lines and the shipping method. POST `preview=1` shows what the
edit does (orders.services.edits: new totals and the payment difference); POST `confirm=1`
with the previewed total applies it. Routes are in support/views/order_actions.py."""

from decimal import Decimal

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from oms.exceptions import DomainError, NotFound
from orders import money, shipping
from orders import selectors as order_selectors
from orders.models import Order, OrderLine
from orders.services.edits import OrderEdit, apply_order_edit, preview_order_edit
from orders.services.edits.inputs import ADDRESS_FIELDS, MAX_QUANTITY, clean_address
from support.access import actor_for
from support.context import active_case
from support.errors import add_domain_error
from support.services.case_links import record_action
from support.templatetags.console import format_money
from support.views.order_panels import done, reason_field, render_panel

TEMPLATE = "support/order_actions/edit.html"
ADD_ROWS = 3
ADDRESS_LABELS = {
    "name": gettext_lazy("Name"),
    "line1": gettext_lazy("Address line 1"),
    "line2": gettext_lazy("Address line 2"),
    "city": gettext_lazy("City"),
    "region": gettext_lazy("Region/state"),
    "postal_code": gettext_lazy("Postal code"),
    "country": gettext_lazy("Country"),
    "phone": gettext_lazy("Phone"),
}
DIFFERENCE_LABELS = {
    "charge": gettext_lazy("Additional charge"),
    "refund": gettext_lazy("Refund"),
    "lower_amount_due": gettext_lazy("Lower amount due"),
    "none": gettext_lazy("No change to the amount"),
}


class EditForm(forms.Form):
    """The whole edit in one form; `to_edit` keeps only what differs from the order."""

    shipping_method = forms.ChoiceField(label=gettext_lazy("Shipping method"))
    reason = reason_field(required=False)
    expected_total = forms.DecimalField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, order: Order, lines: list[OrderLine], **kwargs):
        address = order.shipping_address or {}
        initial = {key: address.get(key, "") for key in ADDRESS_FIELDS}
        initial["shipping_method"] = order.shipping_method
        initial.update({f"qty_{line.pk}": line.quantity_active for line in lines})
        super().__init__(*args, initial=initial, **kwargs)
        self.order, self.lines = order, lines
        for key in ADDRESS_FIELDS:
            self.fields[key] = forms.CharField(
                label=ADDRESS_LABELS[key], required=False, max_length=200
            )
        # The current method at what the order pays for it (a storefront sets its own price).
        current = _("%(method)s · %(price)s (current)") % {
            "method": order.get_shipping_method_display(),
            "price": format_money(order.shipping_price, order.currency),
        }
        choices = [(order.shipping_method, current)]
        for method, label, price in shipping.shipping_options(order.currency):
            if method != order.shipping_method:
                choices.append((method, f"{label} · {format_money(price, order.currency)}"))
        self.fields["shipping_method"].choices = choices
        for line in lines:
            self.fields[f"qty_{line.pk}"] = forms.IntegerField(
                label=_("Quantity of %(sku)s") % {"sku": line.sku},
                min_value=0,
                max_value=MAX_QUANTITY,
            )
            self.fields[f"swap_{line.pk}"] = forms.CharField(
                label=_("Swap %(sku)s for SKU") % {"sku": line.sku}, required=False, max_length=64
            )
        for row in range(ADD_ROWS):
            self.fields[f"add_sku_{row}"] = forms.CharField(
                label=_("SKU"), required=False, max_length=64
            )
            self.fields[f"add_qty_{row}"] = forms.IntegerField(
                label=_("Quantity"), required=False, min_value=1, max_value=MAX_QUANTITY
            )
        self.swap_rows: list[int] = []  # line id of each swap sent, in order
        self.add_rows: list[int] = []  # form row of each addition sent, in order

    def address_fields(self):
        return [self[key] for key in ADDRESS_FIELDS]

    def line_rows(self):
        return [(line, self[f"qty_{line.pk}"], self[f"swap_{line.pk}"]) for line in self.lines]

    def add_fields(self):
        return [(row, self[f"add_sku_{row}"], self[f"add_qty_{row}"]) for row in range(ADD_ROWS)]

    def clean(self):
        data = super().clean()
        for row in range(ADD_ROWS):
            if data.get(f"add_sku_{row}") and not data.get(f"add_qty_{row}"):
                self.add_error(f"add_qty_{row}", _("How many?"))
        return data

    def to_edit(self) -> OrderEdit:
        data = self.cleaned_data
        address = {key: data.get(key, "") for key in ADDRESS_FIELDS}
        current, _errors = clean_address(self.order.shipping_address or {})
        changed_address = clean_address(address)[0] != current
        quantities = {
            line.pk: data[f"qty_{line.pk}"]
            for line in self.lines
            if data[f"qty_{line.pk}"] != line.quantity_active
        }
        swaps = []
        for line in self.lines:
            sku = data.get(f"swap_{line.pk}", "").strip()
            if sku:
                swaps.append((line.pk, sku))
                self.swap_rows.append(line.pk)
        additions = []
        for row in range(ADD_ROWS):
            sku = data.get(f"add_sku_{row}", "").strip()
            if sku:
                additions.append((sku, data[f"add_qty_{row}"]))
                self.add_rows.append(row)
        method = data["shipping_method"]
        return OrderEdit(
            address=address if changed_address else None,
            quantities=quantities,
            additions=additions,
            swaps=swaps,
            shipping_method=method if method != self.order.shipping_method else None,
        )

    def field_for(self, path: str) -> str | None:
        """The form field a service error's path names ("quantities.12" -> "qty_12")."""
        parts = path.split(".")
        if parts[0] == "address" and len(parts) == 2:
            return parts[1]
        if parts[0] == "quantities" and len(parts) == 2:
            return f"qty_{parts[1]}"
        if parts[0] == "swaps" and len(parts) == 3 and int(parts[1]) < len(self.swap_rows):
            return f"swap_{self.swap_rows[int(parts[1])]}"
        if parts[0] == "additions" and len(parts) == 3 and int(parts[1]) < len(self.add_rows):
            kind = "qty" if parts[2] == "quantity" else "sku"
            return f"add_{kind}_{self.add_rows[int(parts[1])]}"
        if parts[0] == "shipping_method":
            return "shipping_method"
        return None

    def add_service_error(self, exc: DomainError) -> None:
        """Each of the service's field errors on its input; the rest on the whole form."""
        placed = False
        for item in exc.errors:
            name = self.field_for(item.get("field") or "")
            if name in self.fields and name not in self.errors:
                self.add_error(name, str(item.get("message", "")))
                placed = True
        if exc.code == "insufficient_stock":
            self.add_error(None, exc.message)  # names the short SKUs
        elif not placed:
            add_domain_error(self, exc)


def _lines(order: Order) -> list[OrderLine]:
    return [line for line in order.lines.all() if line.quantity_active > 0]


def _context(order: Order, form: EditForm, preview=None) -> dict:
    context = {"order": order, "form": form, "preview": preview}
    if preview is not None:
        methods = dict(Order.ShippingMethod.choices)
        change = preview.changes.get("shipping_method")
        context.update(
            difference_label=DIFFERENCE_LABELS[preview.difference_kind],
            magnitude=abs(preview.difference),
            method_change=(methods[change["old"]], methods[change["new"]]) if change else None,
        )
    return context


def _flash(order: Order, preview_kind: str, difference: Decimal) -> str:
    if preview_kind == "none":
        return _("Order %(number)s was modified.") % {"number": order.number}
    return _("Order %(number)s was modified · %(label)s: %(amount)s %(currency)s.") % {
        "number": order.number,
        "label": DIFFERENCE_LABELS[preview_kind],
        "amount": money.quantize(abs(difference), order.currency),
        "currency": order.currency,
    }


def order_edit(request: HttpRequest, order: Order) -> HttpResponse:
    lines = _lines(order)
    if request.method != "POST":
        return render_panel(request, TEMPLATE, _context(order, EditForm(order=order, lines=lines)))
    form = EditForm(request.POST, order=order, lines=lines)
    if not form.is_valid():
        return render_panel(request, TEMPLATE, _context(order, form), status=400)
    edit = form.to_edit()
    confirming = request.POST.get("confirm") == "1"
    expected = form.cleaned_data.get("expected_total")
    if confirming and (expected is None or not form.cleaned_data["reason"].strip()):
        if expected is None:
            form.add_error(None, _("Preview the changes before confirming them."))
        else:
            form.add_error("reason", _("Say why the order changes."))
        return render_panel(request, TEMPLATE, _context(order, form), status=400)
    try:
        preview = preview_order_edit(order=order, edit=edit)
        if not confirming:
            form.data = form.data.copy()
            form.data["expected_total"] = str(preview.new.total)
            return render_panel(request, TEMPLATE, _context(order, form, preview))
        actor, case = actor_for(request), active_case(request)
        summary = _("Modified order %(number)s: %(reason)s") % {
            "number": order.number,
            "reason": form.cleaned_data["reason"],
        }
        applied = apply_order_edit(
            order=order,
            edit=edit,
            actor=actor,
            reason=form.cleaned_data["reason"],
            expected_total=expected,
            on_applied=lambda changed: record_action(
                case=case,
                actor=actor,
                action="order_edit",
                summary=summary,
                order=changed,
                data={"changes": sorted(preview.changes), "total": str(preview.new.total)},
            ),
        )
    except DomainError as exc:
        form.add_service_error(exc)
        status = 409 if exc.status == 409 else 400
        return render_panel(request, TEMPLATE, _context(order, form), status=status)
    return done(request, applied, _flash(applied, preview.difference_kind, preview.difference))


def sku_stock(request: HttpRequest, order: Order) -> HttpResponse:
    """Live stock per warehouse for the SKU being typed in an add or swap row."""
    sku = next(
        (v for k, v in request.GET.items() if k == "sku" or k.startswith(("add_sku_", "swap_"))),
        "",
    )
    sku = sku.strip()
    variant, rows = None, []
    if sku:
        try:
            variant = order_selectors.get_variant(sku)
        except NotFound:
            variant = None
    if variant is not None:
        rows = [
            {"code": s.warehouse.code, "name": s.warehouse.name, "available": s.available}
            for s in variant.stock.all()
            if s.warehouse.is_active
        ]
    context = {"sku": sku, "variant": variant, "rows": rows, "order": order}
    return render(request, "support/order_actions/_sku_stock.html", context)
