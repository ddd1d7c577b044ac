"""The order's return page: each line with whether it can be returned and why not, the form
(quantities, reasons, comments, photos, the resolution, an exchange variant with live stock),
the estimate before submitting (live with htmx; a preview step without JavaScript), and the
submit, which creates the return through the same service the console and the API use."""

from decimal import Decimal

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from oms.actors import Actor
from oms.exceptions import DomainError, ValidationFailed
from orders import links, money
from orders.models import Order
from returns import policy, selectors
from returns.models import RequestedVia, Resolution
from returns.policy import Estimate, OrderDecision
from returns.portal import access
from returns.portal.forms import ReturnForm, add_domain_error
from returns.portal.stock import exchange_options
from returns.portal.views.common import page, portal_view
from returns.services import requests as return_requests


def _form(order: Order, decision: OrderDecision, *args) -> ReturnForm:
    lines = [d.order_line for d in decision.lines if d.is_returnable]
    return ReturnForm(decision, *args, variants=exchange_options(order, lines))


def _context(order: Order, decision: OrderDecision, form: ReturnForm, **extra) -> dict:
    withdrawal = decision.withdrawal
    estimate = extra.pop("estimate", None)
    return {
        "order": order,
        "tracking_url": links.tracking_url(order.number),
        # The live estimate leaves the photos out: only their count matters to it.
        "photo_params": ",".join(f"photos_{d.order_line.pk}" for d in form.returnable) or "photos",
        "decision": decision,
        "form": form,
        "rows": form.line_rows(),
        "returns": list(selectors.returns_for_order(order)),
        "withdrawal": withdrawal if withdrawal and withdrawal.is_open else None,
        "has_withdrawable_lines": any(d.is_withdrawable for d in decision.lines),
        "bonus_percent": decision.policy.store_credit_bonus_percent,
        "estimate": estimate,
        "summary": summarise(estimate),
        **extra,
    }


def summarise(estimate: Estimate | None) -> dict:
    """What the estimate fragment shows beyond the estimate itself."""
    if estimate is None:
        return {}
    currency = estimate.currency
    difference = estimate.exchange_difference
    return {
        "units": sum(line.quantity for line in estimate.lines),
        "replacement": money.quantize(
            sum((line.exchange_amount for line in estimate.lines), Decimal(0)), currency
        ),
        "difference": difference,
        "difference_amount": abs(difference),
    }


def _estimate(order: Order, form: ReturnForm) -> Estimate | None:
    lines = form.requested_lines()
    if not lines or not form.cleaned_data.get("resolution"):
        return None
    return policy.estimate(order, lines, resolution=form.cleaned_data["resolution"])


@portal_view
@require_http_methods(["GET", "POST"])
def order_page(request: HttpRequest, number: str) -> HttpResponse:
    """GET: the form. POST with action=preview: the same page with the estimate (no JavaScript
    needed). POST otherwise: request the return and go to its status page."""
    order = access.order_for(request, number)
    decision = policy.evaluate_order(order)
    if request.method != "POST":
        return page(request, "order.html", _context(order, decision, _form(order, decision)))
    form = _form(order, decision, request.POST, request.FILES)
    if not form.is_valid():
        estimate = _estimate(order, form) if form.cleaned_data else None
        return page(
            request, "order.html", _context(order, decision, form, estimate=estimate), status=400
        )
    lines = form.requested_lines()
    resolution = form.cleaned_data["resolution"]
    if request.POST.get("action") == "preview":
        estimate = _estimate(order, form)
        if estimate is not None and estimate.errors:
            add_domain_error(
                form, ValidationFailed(errors=estimate.errors), form.error_fields(lines)
            )
        context = _context(order, decision, form, estimate=estimate, previewed=True)
        return page(request, "order.html", context)
    try:
        return_request = return_requests.request_return(
            order=order,
            lines=lines,
            resolution=resolution,
            actor=Actor.for_customer(order.customer),
            via=RequestedVia.PORTAL,
            is_instant_exchange=bool(
                form.cleaned_data.get("instant_exchange") and resolution == Resolution.EXCHANGE
            ),
            photos=form.photos(),
            idempotency_reference=f"portal:{form.cleaned_data['form_token']}",
        )
    except DomainError as exc:  # the policy's refusals, a race lost, a declined hold
        add_domain_error(form, exc, form.error_fields(lines))
        context = _context(order, decision, form, estimate=_estimate(order, form))
        return page(request, "order.html", context, status=400)
    return redirect(reverse("returns-status", kwargs={"rma": return_request.rma}))


@portal_view
@require_POST
def estimate(request: HttpRequest, number: str) -> HttpResponse:
    """The estimate fragment the form re-fetches as the customer changes it (htmx)."""
    order = access.order_for(request, number)
    decision = policy.evaluate_order(order)
    form = _form(order, decision, request.POST)
    form.is_valid()  # what is chosen so far; the policy says what is still missing
    found = _estimate(order, form)
    context = {"order": order, "estimate": found, "summary": summarise(found), "live": True}
    return page(request, "_estimate.html", context)


@portal_view
@require_GET
def exchange_variants(request: HttpRequest, number: str, line_id: int) -> HttpResponse:
    """The variant picker of one line, with the stock free now (htmx refreshes it)."""
    order = access.order_for(request, number)
    line = order.lines.select_related("variant").filter(pk=line_id).first()
    if line is None:
        raise Http404("Not found")
    options = exchange_options(order, [line])[line.pk]
    selected = request.GET.get(f"variant_{line.pk}", "")
    context = {"order": order, "line": line, "variants": options, "selected": selected}
    return page(request, "_variants.html", context)
