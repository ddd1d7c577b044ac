"""The warehouse's receive and inspect station, made for a barcode scanner: one input that
takes the RMA (the label's QR code) or the return tracking number and submits on Enter; then
per line the units that arrived and their condition; then what happens to them (restock,
damaged, scrap); then it is ready for the next parcel. Every step answers the whole station
(the scan box, a clear success or error banner, the work for the parcel in hand) with the field
to use next focused, so a scanner and the Enter key are all it takes."""

from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from oms.exceptions import DomainError, NotFound, ValidationFailed
from orders.models import Warehouse
from returns import selectors as return_selectors
from returns.models import Disposition, ItemCondition, ReturnLine, ReturnRequest, ReturnStatus
from returns.models.returns import RESOLVED
from returns.services import receiving
from support.access import actor_for, console_view
from support.errors import message_for
from support.selectors.returns import normalise_code
from support.views.returns.panels import get_return, refusal_status

TEMPLATE = "support/returns/receive.html"
S = ReturnStatus
RECEIVE_STEP = frozenset({S.APPROVED, S.IN_TRANSIT})
# What a condition suggests for the disposition (the inspector confirms or changes it).
SUGGESTED = {
    ItemCondition.AS_NEW: Disposition.RESTOCK,
    ItemCondition.OPENED: Disposition.RESTOCK,
    ItemCondition.DAMAGED: Disposition.DAMAGED,
}
# Why a scanned parcel cannot be received, by the return's status.
NOT_RECEIVABLE = {
    S.REQUESTED: gettext_lazy("This return is waiting for a review: do not accept the parcel yet."),
    S.REJECTED: gettext_lazy("This return was rejected: do not accept the parcel."),
    S.CANCELLED: gettext_lazy("This return was cancelled: do not accept the parcel."),
    S.EXPIRED: gettext_lazy(
        "This return expired before it was sent: put the parcel aside for a rep."
    ),
}


def inspectable(return_request: ReturnRequest) -> bool:
    """Received and not inspected yet; money released on receipt may have resolved it."""
    if return_request.status == S.RECEIVED:
        return True
    return (
        return_request.status in RESOLVED
        and return_request.received_at is not None
        and return_request.inspected_at is None
    )


def step_of(return_request: ReturnRequest, wanted: str = "") -> str:
    """ "receive", "inspect" or "done" (nothing to do here)."""
    if return_request.is_keep_it:
        return "done"
    has_room = any(line.quantity_received < line.quantity for line in return_request.lines.all())
    if return_request.status in RECEIVE_STEP:
        return "receive"
    if inspectable(return_request):
        can_receive_more = return_request.status == S.RECEIVED and has_room
        return "receive" if wanted == "receive" and can_receive_more else "inspect"
    return "done"


def _load(return_request: ReturnRequest) -> ReturnRequest:
    """The return again with its lines (and their order lines) for the station."""
    return return_selectors.get_return(return_request.rma)


def _rows(return_request: ReturnRequest, step: str, posted, errors) -> list[dict]:
    """One row per line with what its inputs show: what was posted (after a refusal), else
    the units still expected as new, or the disposition the condition suggests."""
    rows = []
    focused = False
    for line in return_request.lines.all():
        key = str(line.pk)
        room = line.quantity - line.quantity_received
        if posted is not None:
            quantity = posted.get(f"quantity-{key}", "")
            condition = posted.get(f"condition-{key}", "")
            disposition = posted.get(f"disposition-{key}", "")
        else:
            quantity = room
            condition = line.condition or ItemCondition.AS_NEW
            disposition = line.disposition or SUGGESTED.get(line.condition, "")
        line_errors = errors.get(key, [])
        autofocus = bool(line_errors) and not focused
        focused = focused or autofocus
        rows.append(
            {
                "line": line,
                "autofocus": autofocus,
                "room": room,
                "quantity": quantity,
                "condition": condition,
                "disposition": disposition,
                "errors": line_errors,
                "is_receivable": step == "receive" and room > 0,
                "is_inspectable": step == "inspect" and line.quantity_received > 0,
            }
        )
    return rows


def _station(
    request: HttpRequest,
    *,
    return_request: ReturnRequest | None = None,
    step: str = "",
    success: str = "",
    error: str = "",
    errors: dict[str, list[str]] | None = None,
    posted=None,
    status: int = 200,
    code: str = "",
) -> HttpResponse:
    context = {
        "nav": "returns",
        "return": return_request,
        "step": step,
        "success": success,
        "error": error,
        "rows": _rows(return_request, step, posted, errors or {}) if return_request else [],
        "code": code,
        "can_receive_more": return_request is not None
        and return_request.status == S.RECEIVED
        and any(line.quantity_received < line.quantity for line in return_request.lines.all()),
        "conditions": ItemCondition.choices,
        "dispositions": Disposition.choices,
        "suggested": SUGGESTED,
        "warehouses": list(Warehouse.objects.filter(is_active=True).only("id", "code", "name")),
    }
    if return_request is not None and step == "done":
        context["done_reason"] = NOT_RECEIVABLE.get(return_request.status) or _(
            "Nothing to receive or inspect: this return is %(status)s."
        ) % {"status": return_request.get_status_display().lower()}
    template = f"{TEMPLATE}#station" if request.htmx else TEMPLATE
    return render(request, template, context, status=status)


@console_view("receive_returns")
def receive_station(request: HttpRequest) -> HttpResponse:
    """The station. `?code=` is what was scanned or typed: the return it names comes up at the
    step it is at (`&step=receive` to receive more units of a partly received return)."""
    raw = (request.GET.get("code") or "").strip()
    if not raw:
        return _station(request)
    try:
        found = return_selectors.get_return_by_code(normalise_code(raw))
    except NotFound:
        return _station(
            request,
            error=_("No return matches “%(code)s”. Check the label and scan again.")
            % {"code": raw[:80]},
            status=404,
        )
    step = step_of(found, request.GET.get("step", ""))
    return _station(request, return_request=found, step=step, code=found.rma)


def _line_errors(exc: DomainError, indexes: dict[int, int]) -> dict[str, list[str]]:
    """Field errors of the service ("lines[1].quantity") by return line id, for the table."""
    by_index = {index: line_id for line_id, index in indexes.items()}
    found: dict[str, list[str]] = {}
    for item in exc.errors:
        field = item.get("field") or ""
        if field.startswith("lines[") and "]" in field:
            index = field[6 : field.index("]")]
            line_id = by_index.get(int(index)) if index.isdigit() else None
            if line_id is not None:
                found.setdefault(str(line_id), []).append(item.get("message", ""))
    return found


def _quantity(value: str) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isdigit() else None


@console_view("receive_returns")
def receive_lines(request: HttpRequest, rma: str) -> HttpResponse:
    """POST `quantity-<line id>` and `condition-<line id>` per line (0 or blank: not in this
    parcel), `warehouse` where it arrived. Then the inspection step."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    return_request = _load(get_return(rma))
    lines: list[tuple[int, int, str]] = []
    indexes: dict[int, int] = {}
    bad: dict[str, list[str]] = {}
    for line in return_request.lines.all():
        raw = request.POST.get(f"quantity-{line.pk}", "")
        quantity = _quantity(raw)
        if quantity is None and raw.strip():
            bad[str(line.pk)] = [_("Enter a whole number of units.")]
            continue
        if not quantity:
            continue
        indexes[line.pk] = len(lines)
        lines.append((line.pk, quantity, request.POST.get(f"condition-{line.pk}", "")))
    warehouse_code = request.POST.get("warehouse", "")
    if return_request.warehouse_id and warehouse_code == return_request.warehouse.code:
        warehouse_code = ""
    try:
        if bad:
            raise ValidationFailed(_("Check the quantities."), code="invalid_receipt")
        received = receiving.receive_return(
            return_request=return_request,
            lines=lines,
            actor=actor_for(request),
            warehouse_code=warehouse_code,
        )
    except DomainError as exc:
        return _station(
            request,
            return_request=return_request,
            step="receive",
            error=message_for(exc),
            errors={**bad, **_line_errors(exc, indexes)},
            posted=request.POST,
            status=refusal_status(exc),
            code=return_request.rma,
        )
    units = sum(quantity for _line, quantity, _condition in lines)
    received = _load(received)
    return _station(
        request,
        return_request=received,
        step=step_of(received),
        success=ngettext(
            "%(rma)s: %(units)d unit received. Now say what happens to it.",
            "%(rma)s: %(units)d units received. Now say what happens to them.",
            units,
        )
        % {"rma": received.rma, "units": units},
        code=received.rma,
    )


@console_view("receive_returns")
def inspect_lines(request: HttpRequest, rma: str) -> HttpResponse:
    """POST `disposition-<line id>` for every received line. Then ready for the next parcel."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    return_request = _load(get_return(rma))
    received_lines: list[ReturnLine] = [
        line for line in return_request.lines.all() if line.quantity_received
    ]
    lines = [(line.pk, request.POST.get(f"disposition-{line.pk}", "")) for line in received_lines]
    indexes = {line_id: index for index, (line_id, _d) in enumerate(lines)}
    try:
        inspected = receiving.inspect_return(
            return_request=return_request, lines=lines, actor=actor_for(request)
        )
    except DomainError as exc:
        return _station(
            request,
            return_request=return_request,
            step="inspect",
            error=message_for(exc),
            errors=_line_errors(exc, indexes),
            posted=request.POST,
            status=refusal_status(exc),
            code=return_request.rma,
        )
    inspected = _load(inspected)
    restocked = sum(line.quantity_restocked for line in inspected.lines.all())
    where = inspected.warehouse.code if inspected.warehouse_id else ""
    success = ngettext(
        "%(rma)s inspected: %(restocked)d unit back in stock at %(where)s.",
        "%(rma)s inspected: %(restocked)d units back in stock at %(where)s.",
        restocked,
    ) % {"rma": inspected.rma, "restocked": restocked, "where": where}
    if inspected.exchange_order_id:
        success += " " + _("Exchange order #%(number)s is placed.") % {
            "number": inspected.exchange_order.number
        }
    return _station(request, success=success + " " + _("Ready for the next parcel."))
