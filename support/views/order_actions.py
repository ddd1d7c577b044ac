"""Actions on an order: cancel (whole or lines), hold, release, clear attention, resend a message,
modify (support/views/order_edit.py). Each opens as a side panel on the order page; the services
hold the rules, and every action is linked to the rep's active case in its own transaction."""

from collections.abc import Callable

from django import forms
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from notifications import selectors as notification_selectors
from notifications.services.resend import resend_message, resendable_event
from oms.exceptions import DomainError
from orders.models import Order, OrderEvent, OrderLine
from orders.services import delays, events, lifecycle
from support.access import console_view
from support.views import order_edit as edit_views
from support.views.order_panels import act, done, get_order, reason_field, refused, render_panel

MESSAGES_SHOWN = 50


def simple_action(
    request,
    number: str,
    *,
    template: str,
    form_class: type[forms.Form],
    action: str,
    run: Callable,
    summary: Callable[[Order, dict], str],
    flash: Callable[[Order], str],
    extra: Callable[[Order], dict] | None = None,
):
    """GET shows the panel; POST validates, runs the service, links it to the case."""
    order = get_order(number)
    context = {"order": order, **(extra(order) if extra else {})}
    if request.method != "POST":
        return render_panel(request, template, {**context, "form": form_class()})
    form = form_class(request.POST)
    if not form.is_valid():
        return render_panel(request, template, {**context, "form": form}, status=400)
    data = form.cleaned_data
    try:
        act(
            request,
            order,
            action,
            summary(order, data),
            lambda actor: run(order, data, actor),
            reason=data.get("reason", ""),
        )
    except DomainError as exc:
        return refused(request, template, context, form, exc)
    return done(request, order, flash(order))


# --- Cancel, hold, release, clear attention ----------------------------------------------------


class ReasonForm(forms.Form):
    reason = reason_field()


class OptionalReasonForm(forms.Form):
    reason = reason_field(label=gettext_lazy("Note (optional)"), required=False)


@console_view("act_on_orders")
def order_cancel(request, number):
    return simple_action(
        request,
        number,
        template="support/order_actions/cancel.html",
        form_class=ReasonForm,
        action="order_cancel",
        run=lambda order, data, actor: lifecycle.cancel_order(
            order=order, actor=actor, reason=data["reason"]
        ),
        summary=lambda order, data: (
            _("Cancelled order %(number)s: %(reason)s")
            % {"number": order.number, "reason": data["reason"]}
        ),
        flash=lambda order: _("Order %(number)s was cancelled.") % {"number": order.number},
    )


@console_view("act_on_orders")
def order_hold(request, number):
    return simple_action(
        request,
        number,
        template="support/order_actions/hold.html",
        form_class=ReasonForm,
        action="order_hold",
        run=lambda order, data, actor: lifecycle.hold_order(
            order=order, actor=actor, reason=data["reason"]
        ),
        summary=lambda order, data: (
            _("Put order %(number)s on hold: %(reason)s")
            % {"number": order.number, "reason": data["reason"]}
        ),
        flash=lambda order: _("Order %(number)s is on hold.") % {"number": order.number},
    )


@console_view("act_on_orders")
def order_release(request, number):
    return simple_action(
        request,
        number,
        template="support/order_actions/release.html",
        form_class=OptionalReasonForm,
        action="order_release",
        run=lambda order, data, actor: lifecycle.release_order(
            order=order, actor=actor, reason=data["reason"]
        ),
        summary=lambda order, data: (
            _("Released order %(number)s from hold.") % {"number": order.number}
        ),
        flash=lambda order: _("Order %(number)s was released.") % {"number": order.number},
    )


@console_view("act_on_orders")
def order_clear_attention(request, number):
    return simple_action(
        request,
        number,
        template="support/order_actions/clear_attention.html",
        form_class=ReasonForm,
        action="order_clear_attention",
        run=lambda order, data, actor: delays.clear_order_attention(
            order=order, actor=actor, reason=data["reason"]
        ),
        summary=lambda order, data: (
            _("Cleared attention on order %(number)s: %(reason)s")
            % {"number": order.number, "reason": data["reason"]}
        ),
        flash=lambda order: (
            _("Order %(number)s no longer needs attention.") % {"number": order.number}
        ),
    )


# --- Cancel lines ------------------------------------------------------------------------------


class CancelLinesForm(forms.Form):
    """One units field per line that still has units waiting in a warehouse."""

    reason = reason_field()

    def __init__(self, *args, lines: list[OrderLine], selected: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.lines = lines
        for line in lines:
            self.fields[f"units_{line.pk}"] = forms.IntegerField(
                label=f"{line.sku} · {line.name}",
                min_value=0,
                max_value=line.quantity_unshipped,
                required=False,
                initial=line.quantity_unshipped if line.pk == selected else 0,
            )

    def rows(self):
        return [(line, self[f"units_{line.pk}"]) for line in self.lines]

    def clean(self):
        data = super().clean()
        chosen = [
            (line.pk, data.get(f"units_{line.pk}") or 0)
            for line in self.lines
            if data.get(f"units_{line.pk}")
        ]
        if not chosen and not self.errors:
            raise forms.ValidationError(_("Choose the units to cancel."))
        data["lines"] = chosen
        return data


def _selected_line(request) -> int | None:
    value = request.GET.get("line", "")
    return int(value) if value.isdigit() else None


@console_view("act_on_orders")
def order_cancel_lines(request, number):
    order = get_order(number)
    lines = [line for line in order.lines.all() if line.quantity_unshipped > 0]
    template = "support/order_actions/cancel_lines.html"
    context = {"order": order}
    if request.method != "POST":
        form = CancelLinesForm(lines=lines, selected=_selected_line(request))
        return render_panel(request, template, {**context, "form": form})
    form = CancelLinesForm(request.POST, lines=lines)
    if not form.is_valid():
        return render_panel(request, template, {**context, "form": form}, status=400)
    data = form.cleaned_data
    skus = {line.pk: line.sku for line in lines}
    described = ", ".join(f"{skus[line_id]} × {units}" for line_id, units in data["lines"])
    try:
        act(
            request,
            order,
            "order_cancel_lines",
            _("Cancelled %(lines)s on order %(number)s: %(reason)s")
            % {"lines": described, "number": order.number, "reason": data["reason"]},
            lambda actor: lifecycle.cancel_lines(
                order=order, lines=data["lines"], actor=actor, reason=data["reason"]
            ),
            lines=[{"sku": skus[line_id], "quantity": units} for line_id, units in data["lines"]],
            reason=data["reason"],
        )
    except DomainError as exc:
        return refused(request, template, context, form, exc)
    return done(request, order, _("Cancelled %(lines)s.") % {"lines": described})


# --- Resend a message --------------------------------------------------------------------------


def customer_messages(order: Order) -> list:
    """The order's past customer messages that can go again by email, newest first: one row
    per message, with where and when it went."""
    seen, rows = set(), []
    deliveries = notification_selectors.deliveries_for("order", order.number).filter(
        channel__in=["email", "sms"]
    )
    for delivery in deliveries[:MESSAGES_SHOWN]:
        if delivery.message_id in seen or not resendable_event(delivery.event_type):
            continue
        seen.add(delivery.message_id)
        rows.append(delivery)
    return rows


class ResendForm(forms.Form):
    message = forms.ChoiceField(label=gettext_lazy("Message"), widget=forms.RadioSelect)
    email = forms.EmailField(label=gettext_lazy("Send to"), max_length=254)

    def __init__(self, *args, deliveries: list, **kwargs):
        super().__init__(*args, **kwargs)
        self.deliveries = deliveries
        self.fields["message"].choices = [(str(d.message_id), d.event_type) for d in deliveries]


def current_email(order: Order) -> str:
    """Where the customer reads email now: their profile's address, else the order's."""
    return (order.customer.email if order.customer_id else "") or order.email


@console_view("act_on_orders")
def order_resend(request, number):
    order = get_order(number)
    deliveries = customer_messages(order)
    template = "support/order_actions/resend.html"
    context = {"order": order, "deliveries": deliveries}
    if request.method != "POST":
        initial = {"email": current_email(order)}
        if deliveries:
            initial["message"] = str(deliveries[0].message_id)
        form = ResendForm(deliveries=deliveries, initial=initial)
        return render_panel(request, template, {**context, "form": form})
    form = ResendForm(request.POST, deliveries=deliveries)
    if not form.is_valid():
        return render_panel(request, template, {**context, "form": form}, status=400)
    data = form.cleaned_data
    original = next(d for d in deliveries if str(d.message_id) == data["message"])

    def work(actor):
        delivery = resend_message(
            message_id=original.message_id,
            to=data["email"],
            actor=actor,
            aggregate_type="order",
            aggregate_id=order.number,
        )
        events.record(
            order,
            OrderEvent.Type.NOTIFICATION_RESENT,
            actor=actor,
            data={
                "event_type": original.event_type,
                "to": delivery.target,
                "subject": original.detail,
            },
            notify="order.updated",
        )
        return delivery

    try:
        delivery = act(
            request,
            order,
            "order_resend",
            _("Resent “%(message)s” of order %(number)s to %(email)s.")
            % {
                "message": original.detail or original.event_type,
                "number": order.number,
                "email": data["email"],
            },
            work,
            event_type=original.event_type,
            to=data["email"],
        )
    except DomainError as exc:
        return refused(request, template, context, form, exc)
    return done(request, order, _("Message sent again to %(email)s.") % {"email": delivery.target})


# --- Modify (support/views/order_edit.py) ------------------------------------------------------


@console_view("act_on_orders")
def order_edit(request, number):
    return edit_views.order_edit(request, get_order(number))


@console_view("act_on_orders")
def order_edit_stock(request, number):
    return edit_views.sku_stock(request, get_order(number))


urlpatterns = [
    path("orders/<str:number>/cancel/", order_cancel, name="order-cancel"),
    path("orders/<str:number>/cancel-lines/", order_cancel_lines, name="order-cancel-lines"),
    path("orders/<str:number>/hold/", order_hold, name="order-hold"),
    path("orders/<str:number>/release/", order_release, name="order-release"),
    path("orders/<str:number>/resend/", order_resend, name="order-resend"),
    path(
        "orders/<str:number>/clear-attention/", order_clear_attention, name="order-clear-attention"
    ),
    path("orders/<str:number>/edit/", order_edit, name="order-edit"),
    path("orders/<str:number>/edit/stock/", order_edit_stock, name="order-edit-stock"),
]
