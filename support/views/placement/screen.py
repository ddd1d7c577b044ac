"""The one-screen page: rendered with its live quote, its customer and SKU pickers, and placing the
order (refusals shown on the form)."""

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_htmx.http import HttpResponseClientRedirect

from oms.exceptions import DomainError, GatewayUnavailable, PaymentFailed, ValidationFailed
from orders import money, shipping
from orders.models import Order, OrderAdjustment
from returns import selectors as return_selectors
from support.access import actor_for, can, console_view
from support.context import active_case
from support.selectors import placement as selectors
from support.services import placement as service
from support.services.placement import PAYMENT_LINK, STORE_CREDIT
from support.views.placement.form import (
    CURRENCIES,
    AssistedOrderForm,
    apply_intent,
    choose_customer,
    discount_of,
    lines_of,
)

TEMPLATE = "support/placement/new.html"
DECLINES = {
    "card_declined": gettext_lazy("The card was declined."),
    "insufficient_funds": gettext_lazy("The card has insufficient funds."),
    "expired_card": gettext_lazy("The card has expired."),
    "invalid_card": gettext_lazy("The saved card is not valid."),
    # Placement checks the balance first; this is a debit racing another one.
    "insufficient_store_credit": gettext_lazy("The store credit does not cover the total."),
}


def _quote_context(request: HttpRequest, data: QueryDict) -> dict:
    """The live quote for the posted state (problems shown instead when it cannot be priced)."""
    form = AssistedOrderForm(data)
    form.is_valid()  # the quote uses whatever parts are valid
    lines, _problems = lines_of(data)
    currency = form.cleaned_data.get("currency") or "USD"
    discount = discount_of(form)
    context = {
        "currency": currency,
        "line_count": sum(quantity for _, quantity in lines),
        "discount_limit": service.discount_limit(user=request.user, currency=currency),
        "quote": None,
        "quote_errors": [],
    }
    if not lines:
        return context
    try:
        priced = service.quote(
            lines=lines,
            currency=currency,
            shipping_method=form.cleaned_data.get("shipping_method") or "",
            discount=discount,
        )
    except ValidationFailed as exc:
        context["quote_errors"] = [
            item["message"] for item in exc.errors if item["field"] != "shipping_method"
        ]
        context["needs_shipping"] = any(i["field"] == "shipping_method" for i in exc.errors)
        return context
    context["quote"] = priced
    context["is_above_authority"] = priced.discount > context["discount_limit"]
    return context


def _screen_context(
    request: HttpRequest,
    data: QueryDict,
    *,
    form: AssistedOrderForm | None = None,
    line_errors: dict[int, list[str]] | None = None,
    show_errors: bool = False,
) -> dict:
    form = form or AssistedOrderForm(data)
    lines, problems = lines_of(data)
    customer_id = data.get("customer", "")
    customer = (
        selectors.get_customer_for_placement(int(customer_id)) if customer_id.isdigit() else None
    )
    currency = data.get("currency") if data.get("currency") in CURRENCIES else "USD"
    rows = selectors.skus_with_stock([sku for sku, _ in lines])
    line_errors = line_errors or {}
    for index, message in problems.items():
        line_errors.setdefault(index, []).append(message)
    quote_context = _quote_context(request, data)
    shares = {line.sku: line.discount for line in getattr(quote_context["quote"], "lines", [])}
    payment_methods = list(customer.saved_payment_methods.all()) if customer else []
    # The customer's store credit in the order's currency: offered when there is some.
    store_credit = return_selectors.balance(customer, currency) if customer else None
    choices = {str(method.pk) for method in payment_methods} | {PAYMENT_LINK}
    if store_credit:
        choices.add(STORE_CREDIT)
    selected_payment = data.get("payment") or PAYMENT_LINK
    line_rows = [
        {
            "index": index,
            "sku": sku,
            "quantity": quantity,
            "row": rows.get(sku),
            "amount": money.quantize(rows[sku].price * quantity, currency)
            if sku in rows and rows[sku].variant.currency == currency
            else None,
            "discount": shares.get(sku),
            "errors": line_errors.get(index, []),
            "is_short": sku in rows and quantity > rows[sku].available,
        }
        for index, (sku, quantity) in enumerate(lines)
    ]
    return {
        "form": form,
        "show_errors": show_errors,
        "customer": customer,
        "addresses": list(customer.addresses.all()) if customer else [],
        "payment_methods": payment_methods,
        "store_credit": store_credit,
        "selected_address": data.get("address") or "new",
        "selected_payment": selected_payment if selected_payment in choices else PAYMENT_LINK,
        "selected_shipping": data.get("shipping_method", ""),
        "lines": line_rows,
        "currency": currency,
        "shipping_options": shipping.shipping_options(currency),
        "reasons": OrderAdjustment.Reason.choices,
        "active_case": active_case(request),
        "can_discount": can(request.user, "adjust_prices"),
        "link_valid_hours": int(settings.OMS_PAYMENT_LINK_VALID_FOR.total_seconds() // 3600),
        "nav": "order-new",
        **quote_context,
    }


def _render(request: HttpRequest, data: QueryDict, *, status: int = 200, **kwargs) -> HttpResponse:
    template = f"{TEMPLATE}#order-form" if request.htmx else TEMPLATE
    return render(request, template, _screen_context(request, data, **kwargs), status=status)


def _place(request: HttpRequest, data: QueryDict) -> HttpResponse:
    form = AssistedOrderForm(data)
    lines, problems = lines_of(data)
    line_errors: dict[int, list[str]] = {index: [msg] for index, msg in problems.items()}
    if not lines:
        form.add_error(None, _("Add at least one item."))
    if not form.is_valid() or line_errors or not lines:
        return _render(
            request, data, form=form, line_errors=line_errors, show_errors=True, status=400
        )
    try:
        order = service.place_assisted_order(
            data=form.to_order(lines),
            user=request.user,
            actor=actor_for(request),
            case=active_case(request),
        )
    except DomainError as exc:
        _add_errors(form, exc, line_errors)
        status = exc.status if 400 <= exc.status < 500 else 400
        return _render(
            request, data, form=form, line_errors=line_errors, show_errors=True, status=status
        )
    if order.status == Order.Status.PENDING_PAYMENT:
        messages.success(
            request,
            _("Order %(number)s placed; the payment link was emailed to %(email)s.")
            % {"number": order.number, "email": order.email},
        )
    else:
        messages.success(
            request, _("Order %(number)s placed and confirmed.") % {"number": order.number}
        )
    url = reverse("console:order-detail", kwargs={"number": order.number})
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


def _add_errors(form: AssistedOrderForm, exc: DomainError, line_errors: dict) -> None:
    """Put each error where the rep will look: on its field, its line, or the whole form."""
    if isinstance(exc, GatewayUnavailable):
        form.add_error(
            "payment",
            _("The payment gateway did not answer and no order was placed. Try again shortly."),
        )
        return
    if isinstance(exc, PaymentFailed):
        reason = DECLINES.get(exc.extra.get("decline_code"), _("The payment was declined."))
        form.add_error(
            "payment",
            _("%(reason)s No order was placed: choose another method or send a payment link.")
            % {"reason": reason},
        )
        return
    placed = False
    for item in exc.errors:
        field = item.get("field") or ""
        head, _dot, rest = field.partition(".")
        if head == "lines" and rest:
            index = rest.split(".")[0]
            if index.isdigit():
                line_errors.setdefault(int(index), []).append(item.get("message", ""))
                placed = True
                continue
        if head in form.fields:
            form.add_error(head, item.get("message", ""))
            placed = True
        elif head == "lines":
            form.add_error(None, item.get("message", ""))
            placed = True
    if not placed:
        form.add_error(None, exc.message)


@console_view("place_orders")
def order_new(request: HttpRequest) -> HttpResponse:
    """The assisted-order screen; `?customer=<id>` preselects a customer (customer 360)."""
    if request.method != "POST":
        data = QueryDict(mutable=True)
        data["currency"] = "USD"
        data["payment"] = PAYMENT_LINK
        data["shipping_method"] = Order.ShippingMethod.STANDARD
        customer_id = request.GET.get("customer", "")
        if customer_id.isdigit():
            choose_customer(data, selectors.get_customer_for_placement(int(customer_id)))
        return _render(request, data)
    data = request.POST.copy()
    if apply_intent(data) == "place":
        return _place(request, data)
    return _render(request, data)


@console_view("place_orders")
def order_new_customers(request: HttpRequest) -> HttpResponse:
    """Customers matching what the rep types (email, name or phone), as they type."""
    query = request.GET.get("q") or request.GET.get("customer_q") or ""
    return render(
        request,
        "support/placement/customer_results.html",
        {"customers": selectors.search_customers(query), "query": query.strip()},
    )


@console_view("place_orders")
def order_new_skus(request: HttpRequest) -> HttpResponse:
    """SKUs matching what the rep types, with price and live stock per warehouse."""
    query = request.GET.get("q") or request.GET.get("sku_q") or ""
    currency = request.GET.get("currency") if request.GET.get("currency") in CURRENCIES else "USD"
    return render(
        request,
        "support/placement/sku_results.html",
        {
            "rows": selectors.search_skus(query, currency=currency),
            "query": query.strip(),
            "currency": currency,
        },
    )


@console_view("place_orders")
def order_new_quote(request: HttpRequest) -> HttpResponse:
    """The live quote for the form as it stands, priced exactly as placement prices it."""
    data = request.POST if request.method == "POST" else request.GET
    context = _quote_context(request, data)
    if context["quote"] is not None:
        # The lines' amounts beside the form follow the quote (htmx out-of-band swaps).
        context["oob_lines"] = [
            {
                "index": index,
                "amount": money.quantize(line.unit_price * line.quantity, context["currency"]),
                "discount": line.discount,
            }
            for index, line in enumerate(context["quote"].lines)
        ]
    return render(request, f"{TEMPLATE}#quote", context)
