"""What the store asked a customer: one request per kind and subject (an order, a return), so
nobody is asked twice for the same thing, answered once through a signed link."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class RequestDelay(models.Model):
    """How long after delivery a product category's buyers are asked for a review (admin).
    An order mixing categories is asked once, after the longest of its categories' delays,
    so every product has been tried; categories without a row use the default (blank)."""

    category = models.CharField(
        _("category"), max_length=100, blank=True, unique=True, help_text=_("Blank: the default.")
    )
    delay_days = models.PositiveSmallIntegerField(_("days after delivery"), default=7)

    class Meta:
        verbose_name = _("review request delay")
        verbose_name_plural = _("review request delays")
        ordering = ["category"]

    def __str__(self) -> str:
        return f"{self.category or '*'}: {self.delay_days}"


class FeedbackRequest(models.Model):
    """One ask: a review + NPS after delivery, or the one-question survey after a return closes.
    The link carries the request's id and nonce; answering stamps `answered_at` under a row lock,
    so a link works once."""

    class Kind(models.TextChoices):
        REVIEW = "review", _("Review and NPS after delivery")
        RETURN_SURVEY = "return_survey", _("Return experience survey")

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        SENT = "sent", _("Sent")
        SKIPPED = "skipped", _("Not sent")  # opted out, or nothing left to review
        ANSWERED = "answered", _("Answered")
        EXPIRED = "expired", _("Expired")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.SCHEDULED
    )
    # "order:<id>" or "return:<id>": unique per kind, the guarantee against asking twice.
    subject = models.CharField(max_length=64)
    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey("orders.Customer", on_delete=models.CASCADE, related_name="+")
    return_request = models.ForeignKey(
        "returns.ReturnRequest", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    nonce = models.CharField(max_length=32)  # in the signed link; a new one retires old links
    scheduled_for = models.DateTimeField(_("send after"))
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    skip_reason = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("feedback request")
        verbose_name_plural = _("feedback requests")
        constraints = [
            models.UniqueConstraint(fields=["kind", "subject"], name="feedbackrequest_once"),
            models.CheckConstraint(
                condition=Q(kind__in=["review", "return_survey"]), name="feedbackrequest_kind"
            ),
        ]
        indexes = [
            # The sender's sweep: scheduled requests whose time has come.
            models.Index(
                fields=["scheduled_for"],
                condition=Q(status="scheduled"),
                name="feedbackrequest_due_idx",
            ),
            models.Index(fields=["order"], name="feedbackrequest_order_idx"),
            models.Index(fields=["customer"], name="feedbackrequest_customer_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.subject}"
