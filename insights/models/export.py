"""The data-lake export's memory: how far each dataset has been exported, and each run."""

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _


class ExportCursor(models.Model):
    """Per target and dataset, the last row exported (by id for append-only facts, by
    (updated_at, id) for rows that change), so a re-run exports nothing twice."""

    target = models.CharField(_("target"), max_length=500)
    dataset = models.CharField(_("dataset"), max_length=32)
    schema_version = models.PositiveSmallIntegerField()
    last_id = models.BigIntegerField(default=0)
    last_updated_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("export cursor")
        verbose_name_plural = _("export cursors")
        constraints = [
            models.UniqueConstraint(fields=["target", "dataset"], name="exportcursor_unique")
        ]


class ExportRun(models.Model):
    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    target = models.CharField(_("target"), max_length=500)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RUNNING)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    rows = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    files = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        verbose_name = _("export run")
        verbose_name_plural = _("export runs")
        ordering = ["-started_at"]
