"""The case queue and opening a case for a customer or one of their orders."""

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from oms.exceptions import DomainError
from orders import selectors as order_selectors
from orders.models import Customer, Order, Shipment
from support.access import actor_for, console_view
from support.context import set_active_case
from support.errors import add_domain_error
from support.models import Case
from support.selectors import cases as case_selectors
from support.services import cases as case_services

CUSTOMER_ORDERS_SHOWN = 30
QUEUE_STATUSES = [
    ("active", gettext_lazy("Open and waiting")),
    (Case.Status.OPEN, Case.Status.OPEN.label),
    (Case.Status.WAITING_ON_CUSTOMER, Case.Status.WAITING_ON_CUSTOMER.label),
    (Case.Status.RESOLVED, Case.Status.RESOLVED.label),
    ("all", gettext_lazy("All")),
]


def _blank(label) -> list[tuple[str, str]]:
    return [("", label)]


class QueueFilterForm(forms.Form):
    status = forms.ChoiceField(choices=QUEUE_STATUSES, required=False)
    reason = forms.ChoiceField(
        choices=_blank(gettext_lazy("Any reason")) + Case.Reason.choices, required=False
    )
    channel = forms.ChoiceField(
        choices=_blank(gettext_lazy("Any channel")) + Case.Channel.choices, required=False
    )
    mine = forms.BooleanField(required=False)
    q = forms.CharField(required=False, max_length=200)
    page = forms.IntegerField(required=False, min_value=1, max_value=10_000)


class CaseForm(forms.Form):
    """A new case. The order and shipment lists are the customer's own; the service checks
    again that what is posted belongs to them."""

    customer = forms.IntegerField(widget=forms.HiddenInput)
    channel = forms.ChoiceField(label=gettext_lazy("Channel"), choices=Case.Channel.choices)
    reason = forms.ChoiceField(
        label=gettext_lazy("Reason"),
        choices=_blank(gettext_lazy("Choose a reason…")) + Case.Reason.choices,
    )
    order = forms.ChoiceField(label=gettext_lazy("Order"), required=False)
    shipment = forms.ChoiceField(label=gettext_lazy("Shipment"), required=False)
    subject = forms.CharField(label=gettext_lazy("Subject"), max_length=case_services.SUBJECT_MAX)
    note = forms.CharField(
        label=gettext_lazy("Note"),
        required=False,
        max_length=case_services.TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args, orders: list[Order], shipments: list[Shipment], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["order"].choices = _blank(_("No order")) + [
            (order.number, f"{order.number} · {order.get_status_display()}") for order in orders
        ]
        self.fields["shipment"].choices = _blank(_("The whole order")) + [
            (str(shipment.pk), f"{shipment.number} · {shipment.get_status_display()}")
            for shipment in shipments
        ]


@console_view("use_console")
def cases(request: HttpRequest) -> HttpResponse:
    """The case queue: open cases first, the longest waiting at the top; filters by status,
    reason, channel and the rep's own cases; refreshes live."""
    form = QueueFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    status = filters.get("status") or "active"
    page = case_selectors.list_cases(
        status=None if status == "all" else status,
        reason=filters.get("reason") or None,
        channel=filters.get("channel") or None,
        assigned=request.user if filters.get("mine") else None,
        q=filters.get("q") or "",
        page=filters.get("page") or 1,
    )
    context = {
        "nav": "cases",
        "filter_form": form if form.is_bound else QueueFilterForm(initial={"status": "active"}),
        "page": page,
        "status": status,
        "is_filtered": any(filters.get(key) for key in ("reason", "channel", "mine", "q")),
    }
    template = "support/cases/list.html"
    if request.GET.get("fragment") == "rows":
        template += "#rows"
    return render(request, template, context)


def _new_case_subjects(request: HttpRequest) -> tuple[Customer | None, Order | None, str]:
    """The customer (and order) the new case is for, from ?order=<number> or ?customer=<id>
    (or the posted form)."""
    data = request.POST if request.method == "POST" else request.GET
    number = (data.get("order") or "").strip()
    order = customer = None
    if number:
        order = Order.objects.select_related("customer").filter(number=number).first()
    customer_id = data.get("customer") or ""
    if customer_id.isdigit():
        customer = Customer.objects.filter(pk=int(customer_id)).first()
    if customer is None and order is not None:
        customer = order.customer
    foreign = order is not None and customer is not None and order.customer_id != customer.pk
    if foreign and request.method != "POST":
        order = None  # not this customer's: nothing preselected (a POST is refused by the service)
    return customer, order, number


def _case_form(request: HttpRequest, customer: Customer, order: Order | None) -> CaseForm:
    orders = list(Order.objects.filter(customer=customer).order_by("-id")[:CUSTOMER_ORDERS_SHOWN])
    if order is not None and all(o.pk != order.pk for o in orders):
        orders.insert(0, order)
    shipments = list(order.shipments.order_by("pk")) if order is not None else []
    if request.method == "POST":
        return CaseForm(request.POST, orders=orders, shipments=shipments)
    initial = {"customer": customer.pk, "order": order.number if order else ""}
    if request.GET.get("reason") in Case.Reason.values:
        initial["reason"] = request.GET["reason"]
    if request.GET.get("channel") in Case.Channel.values:
        initial["channel"] = request.GET["channel"]
    return CaseForm(initial=initial, orders=orders, shipments=shipments)


@console_view("use_console")
def case_new(request: HttpRequest) -> HttpResponse:
    """Open a case for a customer: preselected from ?customer=<id>, or from ?order=<number>
    (the order too). The new case becomes the rep's active case."""
    customer, order, _number = _new_case_subjects(request)
    if customer is None:
        query = (request.GET.get("q") or "").strip()
        found = list(order_selectors.search_customers(query)[:10]) if query else []
        return render(
            request,
            "support/cases/new.html",
            {"nav": "cases", "customer": None, "query": query, "found": found},
            status=400 if request.method == "POST" else 200,
        )
    form = _case_form(request, customer, order)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        shipment = (
            Shipment.objects.filter(pk=int(data["shipment"]), order=order).first()
            if data["shipment"] and order is not None
            else None
        )
        try:
            case = case_services.open_case(
                customer=customer,
                channel=data["channel"],
                reason=data["reason"],
                subject=data["subject"],
                note=data["note"],
                order=order,
                shipment=shipment,
                actor=actor_for(request),
                user=request.user,
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            set_active_case(request, case)
            messages.success(
                request,
                _("Case %(reference)s opened. Actions you take now are linked to it.")
                % {"reference": case.reference},
            )
            return redirect("console:case-detail", case_id=case.pk)
    context = {
        "nav": "cases",
        "customer": customer,
        "order": order,
        "form": form,
        "recent_cases": case_selectors.list_cases(customer=customer, status="active").cases,
    }
    template = "support/cases/new.html"
    if request.htmx and request.GET.get("fragment") == "concerns":
        template += "#concerns"
    return render(request, template, context, status=400 if request.method == "POST" else 200)
