"""Early-warning alerts: a warehouse or carrier whose contact or delay rate is clearly above its
own recent baseline, and the one message each exposed customer got about it."""

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from oms.actors import ActorFields


class AlertSubject(models.TextChoices):
    WAREHOUSE = "warehouse", _("Warehouse")
    CARRIER = "carrier", _("Carrier")


class AlertMetric(models.TextChoices):
    CONTACT_RATE = "contact_rate", _("Contacts per 100 shipments in flight")
    DELAY_RATE = "delay_rate", _("Delayed or stalled shipments per 100 in flight")


class AlertStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    RESOLVED = "resolved", _("Resolved")


class Alert(models.Model):
    """One detected bottleneck. At most one alert is not resolved per subject and metric: the
    periodic job updates it while the rate stays high and resolves it when it falls back."""

    Subject = AlertSubject
    Metric = AlertMetric
    Status = AlertStatus

    subject_kind = models.CharField(_("subject"), max_length=16, choices=AlertSubject.choices)
    subject_code = models.CharField(_("warehouse or carrier"), max_length=32)
    metric = models.CharField(_("metric"), max_length=16, choices=AlertMetric.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=AlertStatus.choices, default=AlertStatus.OPEN
    )
    # The detection's clock (a simulated one in scenarios), not the row's insert time.
    raised_at = models.DateTimeField(_("raised"))
    last_checked_at = models.DateTimeField(_("last checked"))
    window_start = models.DateTimeField()
    window_end = models.DateTimeField()
    observed_count = models.PositiveIntegerField(_("observed"))
    expected_count = models.DecimalField(_("expected"), max_digits=12, decimal_places=3)
    volume = models.PositiveIntegerField(_("shipments in flight"))
    observed_rate = models.DecimalField(_("rate"), max_digits=9, decimal_places=3)
    baseline_rate = models.DecimalField(_("baseline rate"), max_digits=9, decimal_places=3)
    # The contact reasons driving it: [{"reason": "wismo", "count": 14, "baseline_share": 0.3}]
    drivers = models.JSONField(default=list, blank=True, encoder=DjangoJSONEncoder)
    exposed_orders = models.PositiveIntegerField(_("open orders exposed"), default=0)
    exposed_shipments = models.PositiveIntegerField(_("shipments exposed"), default=0)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    notified_at = models.DateTimeField(_("customers notified"), null=True, blank=True)
    notified_count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        constraints = [
            models.UniqueConstraint(
                fields=["subject_kind", "subject_code", "metric"],
                condition=~Q(status="resolved"),
                name="alert_one_unresolved_per_subject",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "-raised_at"], name="alert_status_idx"),
            models.Index(
                fields=["subject_kind", "subject_code", "-raised_at"], name="alert_subject_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject_kind}:{self.subject_code} {self.metric}"


class AlertNotice(ActorFields):
    """One message to one exposed customer's order about one alert; unique, so never twice."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="notices")
    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("alert notice")
        verbose_name_plural = _("alert notices")
        constraints = [
            models.UniqueConstraint(fields=["alert", "order"], name="alertnotice_once_per_order")
        ]
