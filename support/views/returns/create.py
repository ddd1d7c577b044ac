"""Creating a return for a customer from the order page: the same policy answers the portal
and the API give (each line returnable or not, and why), the same estimate before anything is
written, then `requests.request_return(via=console)`. The return is approved at once unless the
policy wants a review (then it waits in the queue for a supervisor)."""

import uuid
from dataclasses import dataclass, field

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from oms.exceptions import DomainError
from orders.models import Order
from returns import policy
from returns.models import RefundRelease, RequestedVia, Resolution, ReturnRequest
from returns.policy.types import Estimate, LineDecision, OrderDecision, RequestedLine
from returns.services import requests
from support.access import actor_for, console_view
from support.context import active_case
from support.errors import MESSAGES, message_for
from support.selectors import returns as selectors
from support.services.case_links import record_action
from support.views.order_panels import done, get_order, render_panel
from support.views.returns.panels import refusal_status

TEMPLATE = "support/returns/create.html"
NOTE_MAX = 2000
COMMENT_MAX = 500


@dataclass
class LineRow:
    """One order line on the form: the policy's decision and what the rep entered."""

    decision: LineDecision
    quantity: int = 0
    reason: str = ""
    comment: str = ""
    exchange_variant_id: int | None = None
    photo_count: int = 0
    options: list[selectors.ExchangeOption] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def line(self):
        return self.decision.order_line


@dataclass
class ReturnForm:
    """The posted return: resolution, withdrawal, note and the lines, with their errors."""

    decision: OrderDecision
    rows: list[LineRow]
    resolution: str
    is_withdrawal: bool = False
    note: str = ""
    reference: str = ""
    errors: list[str] = field(default_factory=list)  # not about one line
    field_errors: dict[str, list[str]] = field(default_factory=dict)

    def requested(self) -> list[RequestedLine]:
        return [
            RequestedLine(
                order_line_id=row.line.pk,
                quantity=row.quantity,
                reason=row.reason,
                comment=row.comment,
                exchange_variant_id=(
                    row.exchange_variant_id if self.resolution == Resolution.EXCHANGE else None
                ),
                photo_count=row.photo_count,
            )
            for row in self.rows
            if row.quantity
        ]


def _int(value, default: int | None = 0) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isdigit() else default


def _read(request: HttpRequest, order: Order, decision: OrderDecision) -> ReturnForm:
    returnable = [d for d in decision.lines if d.is_returnable]
    options = selectors.exchange_options([d.order_line for d in returnable], order.currency)
    data = request.POST if request.method == "POST" else None
    resolutions = decision.resolutions or [Resolution.REFUND.value]
    form = ReturnForm(
        decision=decision,
        rows=[],
        resolution=(data.get("resolution") if data else "") or resolutions[0],
        is_withdrawal=bool(data and data.get("is_withdrawal")),
        note=(data.get("note", "") if data else "")[:NOTE_MAX],
        reference=(data.get("reference") if data else "") or uuid.uuid4().hex,
    )
    for item in decision.lines:
        row = LineRow(decision=item, options=options.get(item.order_line.pk, []))
        if data and item.is_returnable:
            key = item.order_line.pk
            row.quantity = _int(data.get(f"quantity-{key}")) or 0
            row.reason = data.get(f"reason-{key}", "")
            row.comment = data.get(f"comment-{key}", "")[:COMMENT_MAX]
            row.exchange_variant_id = _int(data.get(f"exchange-{key}"), None)
            row.photo_count = len(request.FILES.getlist(f"photos-{key}"))
        form.rows.append(row)
    return form


def _place_errors(form: ReturnForm, errors: list[dict]) -> None:
    """The policy's and the service's field errors ("lines[0].reason") on their lines."""
    requested_rows = [row for row in form.rows if row.quantity]
    for item in errors:
        message = str(MESSAGES.get(item.get("code"), item.get("message", "")))
        name = item.get("field") or ""
        if name.startswith("lines[") and "]" in name:
            index = name[6 : name.index("]")]
            if index.isdigit() and int(index) < len(requested_rows):
                requested_rows[int(index)].errors.append(message)
                continue
        if name in ("resolution", "is_withdrawal", "note"):
            form.field_errors.setdefault(name, []).append(message)
        else:
            form.errors.append(message)


def _photos(request: HttpRequest, form: ReturnForm) -> dict[int, list]:
    return {
        row.line.pk: request.FILES.getlist(f"photos-{row.line.pk}")
        for row in form.rows
        if row.quantity and request.FILES.getlist(f"photos-{row.line.pk}")
    }


def _created_message(return_request: ReturnRequest) -> str:
    if return_request.status == ReturnRequest.Status.REQUESTED:
        return _("Return %(rma)s created; the policy wants a review, so it waits for a supervisor.")
    return _("Return %(rma)s created and approved; the customer gets the label by email.")


@console_view("act_on_orders")
def order_return_new(request: HttpRequest, number: str) -> HttpResponse:
    """GET: the order's lines with the policy's answer. POST `preview=1` (or any change, live):
    the estimate; POST `confirm=1`: create the return, linked to the rep's active case."""
    order = get_order(number)
    decision = policy.evaluate_order(order)
    form = _read(request, order, decision)
    context = {
        "order": order,
        "form": form,
        "decision": decision,
        "resolution_choices": Resolution.choices,
    }
    if request.method != "POST":
        return render_panel(request, TEMPLATE, context)
    estimate: Estimate = policy.estimate(
        order, form.requested(), resolution=form.resolution, is_withdrawal=form.is_withdrawal
    )
    context.update(
        estimate=estimate, refund_release_label=RefundRelease(estimate.refund_release).label
    )
    if not request.POST.get("confirm") or estimate.errors:
        _place_errors(form, estimate.errors)
        status = 400 if request.POST.get("confirm") else 200
        return render_panel(request, TEMPLATE, context, status=status)
    actor = actor_for(request)
    try:
        with transaction.atomic():
            created = requests.request_return(
                order=order,
                lines=form.requested(),
                resolution=form.resolution,
                actor=actor,
                via=RequestedVia.CONSOLE,
                is_withdrawal=form.is_withdrawal,
                note=form.note,
                photos=_photos(request, form),
                idempotency_reference=f"console:{form.reference}",
            )
            record_action(
                case=active_case(request),
                actor=actor,
                action="return_create",
                summary=_("Created return %(rma)s (%(resolution)s) for the customer.")
                % {"rma": created.rma, "resolution": created.get_resolution_display()},
                order=order,
                data={"rma": created.rma},
            )
    except DomainError as exc:
        _place_errors(form, exc.errors or [{"message": message_for(exc)}])
        return render_panel(request, TEMPLATE, context, status=refusal_status(exc))
    return done(request, order, _created_message(created) % {"rma": created.rma})
