"""The customer's payment page, reached by the signed link a rep sent (assisted orders): the
order and its totals, a card form backed by the configured gateway, and the confirmation.
Public (the link is the credential), in the order's language, CSRF-protected; the card number
goes to the gateway and is never logged, stored or shown again."""

from contextlib import contextmanager
from datetime import date

from django import forms
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables

from oms.exceptions import GatewayUnavailable, InvalidTransition, NotFound, PaymentFailed
from orders import links, pricing
from orders.gateways.sandbox import luhn_ok
from orders.models import Order
from orders.services import payment_links

# What the customer reads when the gateway refuses a card, by its decline code.
DECLINE_MESSAGES = {
    "card_declined": _("Your card was declined. Please try another card."),
    "insufficient_funds": _("Your card has insufficient funds. Please try another card."),
    "expired_card": _("Your card has expired. Please try another card."),
    "invalid_card": _("The card number is not valid. Please check it."),
}
DEFAULT_DECLINE = _("The payment was declined. Please try another card.")


class SecretInput(forms.TextInput):
    """A text input that never writes its value back into the page (card number, CVC)."""

    def format_value(self, value):
        return None


class CardForm(forms.Form):
    number = forms.CharField(
        label=_("Card number"),
        max_length=23,
        widget=SecretInput(
            attrs={
                "autocomplete": "cc-number",
                "inputmode": "numeric",
                "placeholder": "1234 1234 1234 1234",
            }
        ),
    )
    expiry = forms.CharField(
        label=_("Expiry date"),
        max_length=7,
        widget=forms.TextInput(attrs={"autocomplete": "cc-exp", "placeholder": _("MM/YY")}),
    )
    cvc = forms.CharField(
        label=_("Security code"),
        max_length=4,
        widget=SecretInput(
            attrs={"autocomplete": "cc-csc", "inputmode": "numeric", "placeholder": "CVC"}
        ),
    )
    name = forms.CharField(
        label=_("Name on card"),
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "cc-name"}),
    )

    @sensitive_variables("number")
    def clean_number(self) -> str:
        number = "".join(self.cleaned_data["number"].split()).replace("-", "")
        if not (number.isdigit() and 12 <= len(number) <= 19 and luhn_ok(number)):
            raise forms.ValidationError(_("Enter a valid card number."))
        return number

    def clean_expiry(self) -> str:
        value = self.cleaned_data["expiry"].replace(" ", "")
        month, _slash, year = value.partition("/")
        if not (month.isdigit() and year.isdigit() and len(year) in (2, 4)):
            raise forms.ValidationError(_("Enter the expiry date as MM/YY."))
        month_number, year_number = int(month), int(year) + (2000 if len(year) == 2 else 0)
        if not 1 <= month_number <= 12:
            raise forms.ValidationError(_("Enter the expiry date as MM/YY."))
        today = timezone.localdate()
        if date(year_number, month_number, 1) < today.replace(day=1):
            raise forms.ValidationError(_("This card has expired."))
        return f"{month_number:02d}/{year_number % 100:02d}"

    def clean_cvc(self) -> str:
        cvc = self.cleaned_data["cvc"].strip()
        if not (cvc.isdigit() and len(cvc) in (3, 4)):
            raise forms.ValidationError(_("Enter the 3 or 4 digits on the back of the card."))
        return cvc


@contextmanager
def _in_language_of(request: HttpRequest, order: Order | None):
    """Speak the order's language (its emails' language) unless the customer chose one."""
    if order is None or settings.LANGUAGE_COOKIE_NAME in request.COOKIES:
        yield
        return
    with translation.override(order.locale):
        yield


def _store_name() -> str:
    return getattr(settings, "OMS_STORE_NAME", "") or "OMS Store"


def _page(request: HttpRequest, template: str, context: dict, status: int = 200) -> HttpResponse:
    context = {"store_name": _store_name(), **context}
    response = render(request, template, context, status=status)
    # The link is the credential: never send it to another site. (Not "no-referrer": the
    # browser would then send "Origin: null" with the card form, which CSRF rightly refuses.)
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex"
    return response


def _invalid(request: HttpRequest) -> HttpResponse:
    return _page(request, "orders/pay_closed.html", {"reason": "invalid"}, status=404)


@never_cache
@sensitive_post_parameters("number", "cvc", "expiry", "name")
def pay_order(request: HttpRequest, token: str) -> HttpResponse:
    """The payment page: GET shows the order and the card form, POST pays."""
    try:
        order = payment_links.get_order_for_payment(token)
    except NotFound:
        return _invalid(request)
    with _in_language_of(request, order):
        if order.status == Order.Status.CANCELLED:
            return _page(
                request, "orders/pay_closed.html", {"order": order, "reason": "cancelled"}, 410
            )
        if order.status != Order.Status.PENDING_PAYMENT:
            return _page(
                request,
                "orders/pay_done.html",
                {
                    "order": order,
                    "is_new": False,
                    "tracking_url": links.tracking_url(order.number),
                },
            )
        form, error, status = CardForm(), "", 200
        if request.method == "POST":
            form = CardForm(request.POST)
            if form.is_valid():
                try:
                    payment_links.pay_order_with_link(
                        token=token, card_token=form.cleaned_data["number"]
                    )
                except PaymentFailed as exc:
                    error = DECLINE_MESSAGES.get(exc.extra.get("decline_code"), DEFAULT_DECLINE)
                    form, status = CardForm(initial={"name": form.cleaned_data["name"]}), 402
                except GatewayUnavailable:
                    error = _("We could not reach the payment service. Please try again.")
                    form, status = CardForm(initial={"name": form.cleaned_data["name"]}), 503
                except InvalidTransition:
                    order.refresh_from_db()
                    return _page(
                        request,
                        "orders/pay_closed.html",
                        {"order": order, "reason": "cancelled"},
                        410,
                    )
                except NotFound:  # the link expired while the customer was typing
                    return _invalid(request)
                else:
                    return redirect("pay-order-done", token=token)
            else:
                status = 400
        return _page(
            request,
            "orders/pay.html",
            {
                "order": order,
                "lines": [
                    (line, pricing.line_amount(line, line.quantity_active, order.currency))
                    for line in order.lines.all()
                    if line.quantity_active
                ],
                "form": form,
                "error": error,
                "token": token,
                "is_test_mode": settings.OMS_PAYMENT_GATEWAY == "sandbox",
            },
            status,
        )


@never_cache
def pay_order_done(request: HttpRequest, token: str) -> HttpResponse:
    """Where a successful payment lands: "Payment received — order confirmed"."""
    try:
        order = payment_links.get_order_for_payment(token)
    except NotFound:
        return _invalid(request)
    if order.status == Order.Status.PENDING_PAYMENT:
        return redirect("pay-order", token=token)
    with _in_language_of(request, order):
        if order.status == Order.Status.CANCELLED:
            return _page(
                request, "orders/pay_closed.html", {"order": order, "reason": "cancelled"}, 410
            )
        return _page(
            request,
            "orders/pay_done.html",
            {"order": order, "is_new": True, "tracking_url": links.tracking_url(order.number)},
        )
