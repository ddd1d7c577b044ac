"""The way in: order number + email or postal code, then the emailed code or the signed link.

Every lookup that passes the form ends in the same redirect to the code page, whether the order
exists and matches or not (the service sends the code only when it does), so the answer says
nothing about the order; past the rate limits every case gets the same 429 page."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from oms.exceptions import ValidationFailed
from orders.models import Order
from returns.models import ReturnRequest
from returns.portal import access
from returns.portal.forms import CodeForm, StartForm, add_domain_error
from returns.portal.views.common import page, portal_view
from returns.services import portal_access


def _start_page(request: HttpRequest, form: StartForm, *, status: int = 200, **extra):
    context = {"form": form, "granted": access.granted_numbers(request), **extra}
    return page(request, "start.html", context, status=status)


@require_http_methods(["GET", "POST"])
def start(request: HttpRequest) -> HttpResponse:
    """Find the order: its number and the email it was placed with, or its postal code."""
    if request.method != "POST":
        return _start_page(request, StartForm())
    form = StartForm(request.POST)
    if not form.is_valid():
        return _start_page(request, form, status=400)
    number = portal_access.normalise_order_number(form.cleaned_data["order_number"])
    try:
        portal_access.request_access(
            order_number=number, **form.identity(), ip=access.client_ip(request)
        )
    except portal_access.TooManyAttempts:
        # The same page for every case: an empty form, nothing the customer typed echoed back.
        return _start_page(request, StartForm(), status=429, too_many=True)
    access.set_pending(request, number)
    return redirect(reverse("returns-verify"), permanent=False)


@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """Enter the 6-digit code from the email; right, it opens the order's return page."""
    number = access.pending_number(request)
    if number is None:
        return redirect(reverse("returns-start"))
    status = 200
    form = CodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                number = portal_access.verify_code(
                    order_number=number,
                    code=form.cleaned_data["code"],
                    ip=access.client_ip(request),
                )
            except portal_access.TooManyAttempts as exc:
                add_domain_error(form, exc)
                status = 429
            except ValidationFailed as exc:
                add_domain_error(form, exc)
            else:
                access.grant(request, number)
                return redirect(reverse("returns-order", kwargs={"number": number}))
    return page(request, "verify.html", {"form": form, "number": number}, status=status)


@portal_view
@require_http_methods(["GET"])
def access_link(request: HttpRequest, token: str) -> HttpResponse:
    """The signed link from an email: opens the order's return page in this browser, or, with
    `?r=<RMA>` (the return emails' link), that return's page if it belongs to the order."""
    number = portal_access.order_number_from_link(token)
    if number is None or not Order.objects.filter(number=number).exists():
        raise Http404("Not found")
    access.grant(request, number)
    rma = request.GET.get("r", "").strip().upper()
    if rma and ReturnRequest.objects.filter(rma=rma, order__number=number).exists():
        return redirect(reverse("returns-status", kwargs={"rma": rma}))
    return redirect(reverse("returns-order", kwargs={"number": number}))
