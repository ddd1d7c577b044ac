"""The data-lake export's memory: how far each dataset has been exported, and each run."""

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _


class ExportCursor(models.Model):
    """Per target and dataset, the last row exported (by id for append-only facts, by
    (updated_at, id) for rows that change), so a re-run exports nothing twice. Written only
    when a run has written its files and its manifest (insights.export.run)."""

    target = models.CharField(_("target"), max_length=500)
    dataset = models.CharField(_("dataset"), max_length=32)
    schema_version = models.PositiveSmallIntegerField()
    last_id = models.BigIntegerField(default=0)
    last_updated_at = models.DateTimeField(null=True, blank=True)
    # What a watermark alone cannot say: the case-event watermark of the cases dataset, and
    # the ids below the watermark that were not settled yet (a pending refund, a delivery
    # still retrying), exported once they settle.
    state = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
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
    # Names the run's files and manifest (part-<run_id>-<n>.parquet, _manifests/<run_id>.json).
    run_id = models.CharField(_("run id"), max_length=40, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RUNNING)
    started_at = models.DateTimeField(auto_now_add=True)
    # A live run touches it at every file it writes; a running run without a recent
    # heartbeat died, and the next run removes its files.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    rows = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    # Written before each file is, so the files of a run that died can all be found.
    files = models.JSONField(default=list, blank=True)
    # Set once the files of a failed or dead run have been removed from the target.
    cleaned_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        verbose_name = _("export run")
        verbose_name_plural = _("export runs")
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["target", "status"], name="exportrun_target_status_idx")]
