"""The assisted order form and the state it carries: lines, the chosen customer and what the rep
asked for (`intent`: add or remove a line, choose a customer, change currency)."""

from decimal import Decimal

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from orders import shipping
from orders.models import Customer, Order, OrderAdjustment
from orders.models.customers import Locale
from orders.services.placement import CustomerInput
from support.selectors import placement as selectors
from support.services import placement as service
from support.services.placement import PAYMENT_LINK

CURRENCIES = sorted(shipping.RATES)
ADDRESS_FIELDS = ["name", "line1", "line2", "city", "region", "postal_code", "country", "phone"]


class AssistedOrderForm(forms.Form):
    customer = forms.IntegerField(required=False, widget=forms.HiddenInput)
    new_name = forms.CharField(label=gettext_lazy("Name"), max_length=200, required=False)
    new_email = forms.EmailField(label=gettext_lazy("Email"), required=False)
    new_phone = forms.CharField(label=gettext_lazy("Phone"), max_length=32, required=False)
    new_locale = forms.ChoiceField(
        label=gettext_lazy("Language"), choices=Locale.choices, initial="en", required=False
    )
    new_country = forms.CharField(
        label=gettext_lazy("Country"), max_length=2, min_length=2, initial="US", required=False
    )
    address = forms.CharField(required=False)  # a saved address id, or "new"
    ship_name = forms.CharField(label=gettext_lazy("Name"), max_length=200, required=False)
    ship_line1 = forms.CharField(label=gettext_lazy("Address"), max_length=200, required=False)
    ship_line2 = forms.CharField(
        label=gettext_lazy("Address line 2"), max_length=200, required=False
    )
    ship_city = forms.CharField(label=gettext_lazy("City"), max_length=100, required=False)
    ship_region = forms.CharField(label=gettext_lazy("Region/state"), max_length=64, required=False)
    ship_postal_code = forms.CharField(
        label=gettext_lazy("Postal code"), max_length=16, required=False
    )
    ship_country = forms.CharField(
        label=gettext_lazy("Country"), max_length=2, min_length=2, initial="US", required=False
    )
    ship_phone = forms.CharField(label=gettext_lazy("Phone"), max_length=32, required=False)
    currency = forms.ChoiceField(
        label=gettext_lazy("Currency"), choices=[(c, c) for c in CURRENCIES], initial="USD"
    )
    shipping_method = forms.ChoiceField(
        label=gettext_lazy("Shipping method"),
        choices=Order.ShippingMethod.choices,
        error_messages={"required": gettext_lazy("Choose a shipping method.")},
    )
    discount_kind = forms.ChoiceField(
        label=gettext_lazy("Discount type"),
        choices=[
            (service.DISCOUNT_AMOUNT, gettext_lazy("Amount")),
            (service.DISCOUNT_PERCENT, gettext_lazy("Percent")),
        ],
        initial=service.DISCOUNT_AMOUNT,
        required=False,
    )
    discount_value = forms.DecimalField(
        label=gettext_lazy("Discount"),
        min_value=Decimal(0),
        max_digits=14,
        decimal_places=3,
        required=False,
    )
    discount_reason = forms.ChoiceField(
        label=gettext_lazy("Reason"),
        choices=[("", "—"), *OrderAdjustment.Reason.choices],
        required=False,
    )
    discount_note = forms.CharField(
        label=gettext_lazy("Note"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    payment = forms.CharField(required=False, initial=PAYMENT_LINK)
    note = forms.CharField(
        label=gettext_lazy("Internal note"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(
            attrs={"rows": 2, "placeholder": gettext_lazy("Only the team sees this.")}
        ),
    )

    def clean(self):
        data = super().clean()
        required = _("This field is required.")
        if not data.get("customer"):
            for name in ("new_name", "new_email"):
                if not data.get(name) and name not in self.errors:
                    self.add_error(name, required)
        if not data.get("customer") or data.get("address") in ("", "new", None):
            for name in ("ship_name", "ship_line1", "ship_city", "ship_postal_code"):
                if not data.get(name) and name not in self.errors:
                    self.add_error(name, required)
            if not data.get("ship_country") and "ship_country" not in self.errors:
                self.add_error("ship_country", required)
        if data.get("discount_value"):
            if not data.get("discount_reason"):
                self.add_error("discount_reason", _("Give a reason for the discount."))
            if not (data.get("discount_note") or "").strip():
                self.add_error("discount_note", _("Add a note for the discount."))
        return data

    def to_order(self, lines: list[tuple[str, int]]) -> service.AssistedOrder:
        data = self.cleaned_data
        address = data.get("address") or "new"
        discount = None
        if data.get("discount_value"):
            discount = service.Discount(
                kind=data["discount_kind"] or service.DISCOUNT_AMOUNT,
                value=data["discount_value"],
                reason_code=data["discount_reason"],
                note=data["discount_note"].strip(),
            )
        return service.AssistedOrder(
            lines=lines,
            currency=data["currency"],
            shipping_method=data["shipping_method"],
            customer_id=data.get("customer") or None,
            new_customer=None
            if data.get("customer")
            else CustomerInput(
                email=data["new_email"],
                name=data["new_name"].strip(),
                phone=data["new_phone"].strip(),
                locale=data["new_locale"] or "en",
                country=(data["new_country"] or "US").upper(),
            ),
            address_id=int(address) if address.isdigit() else None,
            new_address=None
            if address.isdigit()
            else {
                key: (data[f"ship_{key}"] or "").strip()
                for key in ADDRESS_FIELDS
                if key != "country"
            }
            | {"country": (data["ship_country"] or "").upper()},
            payment=data.get("payment") or PAYMENT_LINK,
            discount=discount,
            note=data["note"].strip(),
        )


def lines_of(data: QueryDict) -> tuple[list[tuple[str, int]], dict[int, str]]:
    """The order's lines as posted (one per SKU: a SKU added twice adds up), and the lines
    whose quantity is not a whole number."""
    merged: dict[str, int] = {}
    problems: dict[int, str] = {}
    for sku, quantity in zip(data.getlist("line_sku"), data.getlist("line_quantity"), strict=False):
        sku = sku.strip()
        if not sku:
            continue
        merged.setdefault(sku, 0)
        try:
            merged[sku] += int(quantity)
        except (TypeError, ValueError):
            problems[list(merged).index(sku)] = _("Enter a whole number.")
    return list(merged.items()), problems


def _set_lines(data: QueryDict, lines: list[tuple[str, int]]) -> None:
    data.setlist("line_sku", [sku for sku, _ in lines])
    data.setlist("line_quantity", [str(quantity) for _, quantity in lines])


def choose_customer(data: QueryDict, customer: Customer | None) -> None:
    """Select `customer` and preselect what they usually use: their default address and saved
    payment method, and (before any line is added) their country's currency."""
    for name in ("customer", "address", "payment"):
        data.pop(name, None)
    if customer is None:
        return
    data["customer"] = str(customer.pk)
    addresses = list(customer.addresses.all())
    data["address"] = str(addresses[0].pk) if addresses else "new"
    methods = list(customer.saved_payment_methods.all())
    data["payment"] = str(methods[0].pk) if methods else PAYMENT_LINK
    if not data.getlist("line_sku"):
        currency = service.currency_for_country(customer.country)
        data["currency"] = currency if currency in CURRENCIES else "USD"


def apply_intent(data: QueryDict) -> str:
    """Apply a structural change the rep asked for to the posted state; "place" to place."""
    if data.get("select_customer", "").isdigit():
        customer = selectors.get_customer_for_placement(int(data["select_customer"]))
        choose_customer(data, customer)
        return "refresh"
    if data.get("clear_customer"):
        choose_customer(data, None)
        return "refresh"
    lines, _problems = lines_of(data)
    if data.get("add_sku"):
        try:
            units = max(1, int(data.get("add_quantity") or 1))
        except ValueError:
            units = 1
        sku = data["add_sku"].strip()
        quantities = dict(lines)
        quantities[sku] = quantities.get(sku, 0) + units
        _set_lines(data, list(quantities.items()))
        data["sku_q"] = ""
        return "refresh"
    if data.get("remove_line", "").isdigit():
        index = int(data["remove_line"])
        _set_lines(data, [line for i, line in enumerate(lines) if i != index])
        return "refresh"
    return "place" if data.get("intent") == "place" else "refresh"


def discount_of(form: AssistedOrderForm) -> service.Discount | None:
    """The discount as far as the (validated) form gives it, for the quote."""
    value = form.cleaned_data.get("discount_value")
    if not value:
        return None
    return service.Discount(
        kind=form.cleaned_data.get("discount_kind") or service.DISCOUNT_AMOUNT, value=value
    )
