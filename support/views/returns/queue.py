"""The returns queue: every return with filters (status, resolution, warehouse, where it was
requested), a search by RMA, order number, email or return tracking number, keyset pages, the
count of returns in each open status, and a live refresh when any return changes."""

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy

from returns.models import RequestedVia, Resolution, ReturnStatus
from support.access import can, console_view
from support.selectors import returns as selectors

TEMPLATE = "support/returns/queue.html"
STATUS_CHOICES = [
    (selectors.NEEDS_REVIEW, gettext_lazy("Needs review")),
    (selectors.OPEN, gettext_lazy("Open")),
    *ReturnStatus.choices,
    (selectors.ALL, gettext_lazy("All")),
]


def _blank(label) -> list[tuple[str, str]]:
    return [("", label)]


class QueueFilterForm(forms.Form):
    status = forms.ChoiceField(choices=STATUS_CHOICES, required=False)
    resolution = forms.ChoiceField(
        choices=_blank(gettext_lazy("Any resolution")) + Resolution.choices, required=False
    )
    warehouse = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    via = forms.ChoiceField(
        choices=_blank(gettext_lazy("Anywhere")) + RequestedVia.choices, required=False
    )
    q = forms.CharField(required=False, max_length=selectors.CODE_MAX)
    before = forms.IntegerField(required=False, min_value=1)

    def __init__(self, *args, warehouses, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["warehouse"].choices = _blank(gettext_lazy("Any warehouse")) + [
            (warehouse.pk, f"{warehouse.code} · {warehouse.name}") for warehouse in warehouses
        ]


def default_status(user) -> str:
    """Reviewers start on what waits for them; everyone else on the open returns."""
    return selectors.NEEDS_REVIEW if can(user, "review_returns") else selectors.OPEN


def _tabs(counts: dict[str, int]) -> list[tuple[str, str, int]]:
    """(filter value, label, count) per open status; requested returns are the review queue."""
    labels = dict(STATUS_CHOICES)
    tabs = []
    for status in selectors.OPEN_ORDER:
        key = selectors.NEEDS_REVIEW if status == ReturnStatus.REQUESTED else status
        tabs.append((key, labels[key], counts[status]))
    return tabs


@console_view("use_console")
def returns_queue(request: HttpRequest) -> HttpResponse:
    """The queue, newest first. `?fragment=rows` answers the rows and counts alone (what the
    filters and the live refresh swap in)."""
    warehouses = selectors.warehouses()
    form = QueueFilterForm(request.GET, warehouses=warehouses)
    data = form.cleaned_data if form.is_valid() else {}
    status = data.get("status") or default_status(request.user)
    filters = selectors.QueueFilters(
        status=status,
        resolution=data.get("resolution") or "",
        warehouse_id=data.get("warehouse"),
        requested_via=data.get("via") or "",
        q=data.get("q") or "",
        before=data.get("before"),
    )
    page = selectors.list_returns(filters)
    context = {
        "nav": "returns",
        "form": form,
        "filters": filters,
        "status": status,
        "status_choices": STATUS_CHOICES,
        "page": page,
        "tabs": _tabs(page.counts),
        "is_filtered": bool(
            filters.resolution or filters.warehouse_id or filters.requested_via or filters.q
        ),
        "can_receive": can(request.user, "receive_returns"),
    }
    template = TEMPLATE
    if request.htmx and request.GET.get("fragment") == "rows":
        template += "#rows"
    return render(request, template, context)
