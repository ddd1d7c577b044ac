"""Decisions and money on one return, each in a side panel of the return page: approve or
reject (reviewers), cancel, release what the policy allows now, and a staff refund of an
amount within the rep's authority. The services hold the rules; a refusal re-renders the panel
with the reason and changes nothing."""

import uuid
from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal

from django import forms
from django.db import transaction
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from oms.exceptions import DomainError, PermissionDenied
from orders import selectors as order_selectors
from orders.models import Order
from returns.models import ReturnRefund, ReturnRequest
from returns.services import refunds, transitions
from support.access import actor_for, console_view
from support.context import active_case
from support.models import ActionKind
from support.services.authority import AuthorityDecision, Verdict, decide_authority
from support.services.case_links import record_action
from support.templatetags.console import format_money
from support.views.adjustments.panels import amount_text
from support.views.returns.detail import release_label
from support.views.returns.panels import act, done, get_return, refused, render_panel

REASON_MAX = 255


def reason_field(label=None, *, required: bool = True) -> forms.CharField:
    return forms.CharField(
        label=label or gettext_lazy("Reason"),
        max_length=REASON_MAX,
        required=required,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class RejectForm(forms.Form):
    reason = reason_field(gettext_lazy("Why it is rejected (the customer reads this)"))


class NoteForm(forms.Form):
    reason = reason_field(gettext_lazy("Note (optional)"), required=False)


class RefundForm(forms.Form):
    amount = forms.CharField(label=gettext_lazy("Amount to refund"), max_length=24)
    reason = reason_field()
    # One reference per panel opening: a double submit refunds once (the service's key).
    reference = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["amount"].widget.attrs.update(inputmode="decimal", autocomplete="off")


def _panel(
    request: HttpRequest,
    rma: str,
    *,
    template: str,
    form_class: type[forms.Form],
    action: str,
    run: Callable,
    summary: Callable[[ReturnRequest, dict], str],
    flash: Callable[[ReturnRequest], str],
    extra: dict | None = None,
) -> HttpResponse:
    """GET shows the panel; POST validates, runs the service and notes it on the active case."""
    return_request = get_return(rma)
    context = {"return": return_request, "order": return_request.order, **(extra or {})}
    if request.method != "POST":
        return render_panel(request, template, {**context, "form": form_class()})
    form = form_class(request.POST)
    if not form.is_valid():
        return render_panel(request, template, {**context, "form": form}, status=400)
    data = form.cleaned_data
    try:
        result = act(
            request,
            return_request,
            action,
            summary(return_request, data),
            lambda actor: run(return_request, data, actor),
            reason=data.get("reason", ""),
        )
    except DomainError as exc:
        return refused(request, template, context, form, exc)
    return done(request, return_request, flash(result or return_request))


@console_view("review_returns")
def return_approve(request: HttpRequest, rma: str) -> HttpResponse:
    return _panel(
        request,
        rma,
        template="support/returns/panels/approve.html",
        form_class=NoteForm,
        action="return_approve",
        run=lambda r, data, actor: transitions.approve_return(
            return_request=r, actor=actor, reason=data["reason"]
        ),
        summary=lambda r, data: _("Approved return %(rma)s.") % {"rma": r.rma},
        flash=lambda r: (
            _("Return %(rma)s approved; the customer gets the label by email.") % {"rma": r.rma}
        ),
    )


@console_view("review_returns")
def return_reject(request: HttpRequest, rma: str) -> HttpResponse:
    return _panel(
        request,
        rma,
        template="support/returns/panels/reject.html",
        form_class=RejectForm,
        action="return_reject",
        run=lambda r, data, actor: transitions.reject_return(
            return_request=r, actor=actor, reason=data["reason"]
        ),
        summary=lambda r, data: (
            _("Rejected return %(rma)s: %(reason)s") % {"rma": r.rma, "reason": data["reason"]}
        ),
        flash=lambda r: _("Return %(rma)s rejected; the customer is told why.") % {"rma": r.rma},
    )


@console_view("act_on_orders")
def return_cancel(request: HttpRequest, rma: str) -> HttpResponse:
    return _panel(
        request,
        rma,
        template="support/returns/panels/cancel.html",
        form_class=NoteForm,
        action="return_cancel",
        run=lambda r, data, actor: transitions.cancel_return(
            return_request=r, actor=actor, reason=data["reason"]
        ),
        summary=lambda r, data: _("Cancelled return %(rma)s.") % {"rma": r.rma},
        flash=lambda r: _("Return %(rma)s cancelled.") % {"rma": r.rma},
    )


def _released_text(before: ReturnRequest, after: ReturnRequest) -> str:
    refunded = after.refunded_amount - before.refunded_amount
    credited = after.credited_amount - before.credited_amount
    if refunded > 0:
        return _("%(amount)s refunded to the original payment for %(rma)s.") % {
            "amount": format_money(refunded, after.currency),
            "rma": after.rma,
        }
    if credited > 0:
        return _("%(amount)s of store credit given for %(rma)s.") % {
            "amount": format_money(credited, after.currency),
            "rma": after.rma,
        }
    if after.exchange_order_id and not before.exchange_order_id:
        return _("Exchange order #%(number)s placed for %(rma)s.") % {
            "number": after.exchange_order.number,
            "rma": after.rma,
        }
    return _("Nothing more to release for %(rma)s now: the policy releases the rest later.") % {
        "rma": after.rma
    }


@console_view("act_on_orders")
def return_release(request: HttpRequest, rma: str) -> HttpResponse:
    """Release what the policy allows at this point and was not released yet (idempotent: a
    second click releases nothing more)."""
    before = get_return(rma)
    state = refunds.releasable(before)
    return _panel(
        request,
        rma,
        template="support/returns/panels/release.html",
        form_class=NoteForm,
        action="return_release",
        run=lambda r, data, actor: refunds.release_refund(
            return_request=r, actor=actor, reason=data["reason"]
        ),
        summary=lambda r, data: _("Released the money of return %(rma)s.") % {"rma": r.rma},
        flash=lambda r: _released_text(before, r),
        extra={"state": state, "title": release_label(before)},
    )


# --- Staff refund of an amount, within the rep's authority --------------------------------------


def staff_refunded_on_order(order: Order) -> Decimal:
    """What reps already refunded by hand on this order's returns."""
    total = ReturnRefund.objects.filter(
        return_request__order=order,
        kind=ReturnRefund.Kind.REFUND,
        reference__contains=":staff:",
    ).aggregate(s=Sum("amount"))["s"]
    return total or Decimal(0)


def refund_authority(user, order: Order, amount: Decimal) -> AuthorityDecision:
    """The authority matrix's refund cell for this rep: the limit per action, and the limit per
    order counted over the staff refunds already made on the order's returns (the matrix leaves
    refunds to the returns flow). Read under the order's lock by the caller that acts on it."""
    decision = decide_authority(
        user=user, action=ActionKind.REFUND, order=order, amount=amount, count_pending=False
    )
    used = staff_refunded_on_order(order)
    verdict = decision.verdict
    if verdict == Verdict.WITHIN and decision.rule and used + amount > decision.rule.per_order_cap:
        verdict = Verdict.ABOVE_ORDER_CAP
    return replace(decision, applied_on_order=used, verdict=verdict)


def authority_text(decision: AuthorityDecision) -> str:
    """One sentence for the rep about their refund authority on this order."""

    def amount(value) -> str:
        return format_money(value or 0, decision.currency)

    values = {
        "limit": amount(decision.limit),
        "cap": amount(decision.per_order_cap),
        "used": amount(decision.applied_on_order),
        "currency": decision.currency,
    }
    if decision.verdict == Verdict.WITHIN:
        return (
            _(
                "Within your authority: you may refund up to %(limit)s at a time and %(cap)s "
                "per order; %(used)s already refunded by hand on this order."
            )
            % values
        )
    if decision.verdict == Verdict.NO_RULE:
        return _("Your role may not refund in %(currency)s: a supervisor makes this refund.") % (
            values
        )
    if decision.verdict == Verdict.ABOVE_LIMIT:
        return _("You may refund up to %(limit)s at a time: a supervisor makes this refund.") % (
            values
        )
    return (
        _(
            "You may refund up to %(cap)s per order and %(used)s is already refunded by hand: "
            "a supervisor makes this refund."
        )
        % values
    )


@console_view("act_on_orders")
def return_refund(request: HttpRequest, rma: str) -> HttpResponse:
    """A partial refund to the original payment for a return, up to what the return has left
    and the order still has captured, and within the rep's refund authority (above it: a
    supervisor makes it). Preview first (`preview=1`), then `confirm=1`."""
    template = "support/returns/panels/refund.html"
    return_request = get_return(rma)
    order = return_request.order
    context = {"return": return_request, "order": order}
    if request.method != "POST":
        form = RefundForm(initial={"reference": uuid.uuid4().hex})
        return render_panel(request, template, {**context, "form": form})
    form = RefundForm(request.POST)
    context["form"] = form
    if not form.is_valid():
        return render_panel(request, template, context, status=400)
    data = form.cleaned_data
    actor = actor_for(request)
    try:
        # A decimal comma is read as a point ("12,50"); the service's rule checks the rest.
        amount = refunds.validate_refund_amount(amount_text(data["amount"]), order.currency)
        if not request.POST.get("confirm"):
            decision = refund_authority(request.user, order, amount)
            context.update(
                amount=amount, decision=decision, authority_text=authority_text(decision)
            )
            return render_panel(request, template, context)
        with transaction.atomic():
            # The order's lock first, so two refunds never both fit under the per-order limit.
            locked = order_selectors.lock_order(order.pk)
            decision = refund_authority(request.user, locked, amount)
            if not decision.is_within:
                raise PermissionDenied(authority_text(decision), code="above_authority")
            earlier = set(
                ReturnRefund.objects.filter(return_request=return_request).values_list(
                    "pk", flat=True
                )
            )
            refund = refunds.refund_return_amount(
                return_request=return_request,
                amount=amount,
                actor=actor,
                reason=data["reason"],
                idempotency_reference=data["reference"],
            )
            if refund.pk not in earlier:  # a double submit is refunded and noted once
                record_action(
                    case=active_case(request),
                    actor=actor,
                    action="return_refund",
                    summary=_("Refunded %(amount)s for return %(rma)s: %(reason)s")
                    % {
                        "amount": format_money(amount, order.currency),
                        "rma": return_request.rma,
                        "reason": data["reason"],
                    },
                    order=order,
                    data={"rma": return_request.rma, "amount": amount},
                )
    except DomainError as exc:
        return refused(request, template, context, form, exc)
    return done(
        request,
        return_request,
        _("%(amount)s refunded for return %(rma)s.")
        % {"amount": format_money(amount, order.currency), "rma": return_request.rma},
    )
