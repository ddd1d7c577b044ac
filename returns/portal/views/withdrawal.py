"""The statutory withdrawal ("Withdraw from this purchase"): where the customer's country gives
the right (Brazil: CDC art. 49; EU: directive 2011/83/EU, whose online withdrawal function asks
for a clearly labelled button and a confirmation step), a return without a reason, refunded in
full; the return's page then shows the timestamped acknowledgement."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from oms.actors import Actor
from oms.exceptions import DomainError
from returns import policy
from returns.models import RequestedVia, Resolution
from returns.portal import access
from returns.portal.forms import WithdrawalForm, add_domain_error
from returns.portal.views.common import page, portal_view
from returns.services import requests as return_requests


@portal_view
@require_http_methods(["GET", "POST"])
def withdraw(request: HttpRequest, number: str) -> HttpResponse:
    """GET: what the withdrawal covers (every unit, unless the customer lowers a quantity).
    POST: withdraw, and show the acknowledgement on the return's page."""
    order = access.order_for(request, number)
    decision = policy.evaluate_order(order)
    right = decision.withdrawal
    if right is None or not right.is_open:
        raise Http404("Not found")  # nothing to withdraw from: the button is not offered
    status = 200
    if request.method == "POST":
        form = WithdrawalForm(decision, request.POST)
        status = 400
        if form.is_valid():
            lines = form.requested_lines()
            try:
                return_request = return_requests.request_return(
                    order=order,
                    lines=lines,
                    resolution=Resolution.REFUND,
                    actor=Actor.for_customer(order.customer),
                    via=RequestedVia.PORTAL,
                    is_withdrawal=True,
                    idempotency_reference=f"portal:{form.cleaned_data['form_token']}",
                )
            except DomainError as exc:  # the policy's refusals, a race lost, a declined hold
                add_domain_error(form, exc, form.error_fields(lines))
            else:
                return redirect(reverse("returns-status", kwargs={"rma": return_request.rma}))
    else:
        form = WithdrawalForm(decision)
    context = {"order": order, "decision": decision, "withdrawal": right, "form": form}
    return page(request, "withdraw.html", context, status=status)
