"""Early-warning alerts in the console: the list (open, acknowledged, recently resolved; live),
one alert with what drives it and who is exposed right now, and notifying every exposed
customer at once (a confirm step first; a second click tells nobody twice)."""

from collections import defaultdict
from datetime import timedelta

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods

from insights import selectors
from insights.models import Alert, AlertNotice
from insights.services import notices
from oms.exceptions import Conflict
from orders.models import Warehouse
from support.access import actor_for, console_view
from support.models import CaseReason

OVERVIEW_LIMIT = 6
RESOLVED_DAYS = 30
RESOLVED_LIMIT = 50
EXPOSED_LIMIT = 25
# The kinds of delay that drive a delay-rate alert (insights.services.detection.DELAY_KINDS).
DELAY_LABELS = {
    "late": gettext_lazy("Late against the promised date"),
    "stalled": gettext_lazy("Stalled: no carrier scan for too long"),
    "exception": gettext_lazy("Carrier exception"),
    "no_scan": gettext_lazy("No scan since its usual gap"),
}


def overview_context() -> dict:
    """The open and acknowledged alerts at the top of the overview (the newest few)."""
    alerts = name_subjects(list(selectors.unresolved_alerts()[: OVERVIEW_LIMIT + 1]))
    return {"open_alerts": alerts[:OVERVIEW_LIMIT], "more_alerts": len(alerts) > OVERVIEW_LIMIT}


def _list_context() -> dict:
    since = timezone.now() - timedelta(days=RESOLVED_DAYS)
    unresolved = list(selectors.unresolved_alerts())
    resolved = Alert.objects.filter(status=Alert.Status.RESOLVED, resolved_at__gte=since)
    resolved = list(resolved.order_by("-resolved_at", "-id")[:RESOLVED_LIMIT])
    name_subjects(unresolved + resolved)
    return {
        "nav": "insights",
        "open": [a for a in unresolved if a.status == Alert.Status.OPEN],
        "acknowledged": [a for a in unresolved if a.status == Alert.Status.ACKNOWLEDGED],
        "resolved": resolved,
        "resolved_days": RESOLVED_DAYS,
    }


@console_view("view_insights")
def alert_list(request: HttpRequest) -> HttpResponse:
    """Every open and acknowledged alert, and those resolved in the last 30 days; `?fragment=
    rows` answers the lists alone (the live refresh)."""
    template = "insights/alerts.html"
    if request.htmx and request.GET.get("fragment") == "rows":
        template += "#rows"
    return render(request, template, _list_context())


def drivers_of(alert: Alert) -> list[dict]:
    """The alert's driving reasons (contact reasons, or kinds of delay) as detection ranked
    them, with their share of the window and of the baseline in percent."""
    rows = [driver for driver in alert.drivers or [] if isinstance(driver, dict)]
    total = sum(int(driver.get("count") or 0) for driver in rows)
    labels = {**dict(CaseReason.choices), **DELAY_LABELS}
    drivers = []
    for driver in rows:
        reason = str(driver.get("reason") or "")
        count = int(driver.get("count") or 0)
        share = driver.get("share")
        if share is None:
            share = count / total if total else 0
        baseline = driver.get("baseline_share")
        drivers.append(
            {
                "reason": reason,
                "label": str(labels.get(reason, reason.replace("_", " ").capitalize())),
                "count": count,
                "share": 100 * float(share),
                "baseline_share": None if baseline is None else 100 * float(baseline),
            }
        )
    return drivers


def _drivers_chart(drivers: list[dict]) -> dict:
    return {
        "kind": "drivers",
        "labels": [d["label"] for d in drivers],
        "now": [round(d["share"], 1) for d in drivers],
        "baseline": [
            None if d["baseline_share"] is None else round(d["baseline_share"], 1) for d in drivers
        ],
        "now_label": _("This window"),
        "baseline_label": _("Baseline"),
    }


def _bars(alert: Alert) -> dict[str, float]:
    """The observed and baseline rates as widths (%) of two bars on one scale."""
    top = max(alert.observed_rate or 0, alert.baseline_rate or 0)
    if not top:
        return {"now": 0.0, "baseline": 0.0}
    return {
        "now": round(float(100 * alert.observed_rate / top), 1),
        "baseline": round(float(100 * alert.baseline_rate / top), 1),
    }


def _exposed(alert: Alert) -> dict:
    """How many orders and shipments are exposed right now, and the oldest orders, each with
    its exposed shipments (`exposed_shipment_list`)."""
    exposed = selectors.exposed_orders(alert)
    orders = list(exposed.select_related("customer")[:EXPOSED_LIMIT])
    by_order = defaultdict(list)
    shipments = selectors.exposed_shipments(alert.subject_kind, alert.subject_code)
    for shipment in shipments.filter(order_id__in=[order.pk for order in orders]).only(
        "id", "order_id", "number", "status", "carrier", "warehouse_id"
    ):
        by_order[shipment.order_id].append(shipment)
    for order in orders:
        order.exposed_shipment_list = by_order[order.pk]
    return {
        "exposed": orders,
        "exposed_orders": exposed.count(),
        "exposed_shipments": shipments.filter(order__in=exposed).count(),
    }


def name_subjects(alerts: list[Alert]) -> list[Alert]:
    """Give each alert a `subject_name` a reader knows: the warehouse's name (one query for
    all), the carrier's code in capitals (as the customer's message writes it)."""
    codes = {a.subject_code for a in alerts if a.subject_kind == Alert.Subject.WAREHOUSE}
    names = dict(Warehouse.objects.filter(code__in=codes).values_list("code", "name"))
    for alert in alerts:
        if alert.subject_kind == Alert.Subject.WAREHOUSE:
            alert.subject_name = names.get(alert.subject_code, alert.subject_code)
        else:
            alert.subject_name = alert.subject_code.upper()
    return alerts


def _pending(alert: Alert) -> tuple[int, int]:
    """(customers a notice would tell now, exposed customers already told): the service skips
    orders told about this alert, or about the same subject within its cool-down."""
    order_ids = list(selectors.exposed_orders(alert).values_list("pk", flat=True))
    told = selectors.notified_order_ids(alert, order_ids, since=timezone.now() - notices.cooldown())
    return len(order_ids) - len(told), len(told)


@console_view("view_insights")
def alert_detail(request: HttpRequest, alert_id: int) -> HttpResponse:
    alert = get_object_or_404(Alert, pk=alert_id)
    name_subjects([alert])
    exposure = _exposed(alert)
    drivers = drivers_of(alert)
    shown = [order.pk for order in exposure["exposed"]]
    told = set(
        AlertNotice.objects.filter(alert=alert, order_id__in=shown).values_list(
            "order_id", flat=True
        )
    )
    context = {
        "nav": "insights",
        "alert": alert,
        **exposure,
        "bars": _bars(alert),
        "drivers": drivers,
        "drivers_chart": _drivers_chart(drivers),
        "is_delay": alert.metric == Alert.Metric.DELAY_RATE,
        "exposed_limit": EXPOSED_LIMIT,
        "told_ids": told,
        "is_resolved": alert.status == Alert.Status.RESOLVED,
    }
    return render(request, "insights/alert_detail.html", context)


@console_view("view_insights")
@require_http_methods(["GET", "POST"])
def alert_notify(request: HttpRequest, alert_id: int) -> HttpResponse:
    """GET: how many customers would be told (the confirm step). POST: tell each exposed
    customer once; the service skips those told before, so a second click (or a double
    submit) sends nothing more, and says so."""
    alert = get_object_or_404(Alert, pk=alert_id)
    name_subjects([alert])
    if request.method == "POST":
        try:
            sent = notices.notify_exposed_customers(alert=alert, actor=actor_for(request))
        except Conflict as refusal:
            messages.error(request, refusal.message)
            return redirect("insights:alert-detail", alert_id=alert.pk)
        if sent:
            message = ngettext(
                "%(count)s message sent: the customer of the exposed order was told.",
                "%(count)s messages sent: one to the customer of each exposed order.",
                sent,
            ) % {"count": sent}
            messages.success(request, message)
        else:
            messages.info(
                request,
                _("Nobody new to tell: every exposed order's customer has already had a message."),
            )
        return redirect("insights:alert-detail", alert_id=alert.pk)
    pending, told = _pending(alert)
    context = {
        "nav": "insights",
        "alert": alert,
        "pending": pending,
        "told": told,
        "is_resolved": alert.status == Alert.Status.RESOLVED,
    }
    return render(request, "insights/alert_notify.html", context)


urlpatterns = [
    path("alerts/", alert_list, name="alerts"),
    path("alerts/<int:alert_id>/", alert_detail, name="alert-detail"),
    path("alerts/<int:alert_id>/notify/", alert_notify, name="alert-notify"),
]
