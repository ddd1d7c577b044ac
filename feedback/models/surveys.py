"""Survey answers: NPS (0-10) after delivery and the return-experience score (1-5). The case
satisfaction survey (1-5) stays on support's Case; insights reads all three."""

from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class SurveyResponse(models.Model):
    class Kind(models.TextChoices):
        NPS = "nps", _("Net Promoter Score (0-10)")
        RETURN_EXPERIENCE = "return_experience", _("Return experience (1-5)")

    request = models.ForeignKey(
        "feedback.FeedbackRequest", on_delete=models.CASCADE, related_name="responses"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    score = models.PositiveSmallIntegerField(_("score"), validators=[MaxValueValidator(10)])
    comment = models.TextField(_("comment"), blank=True, max_length=2000)
    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey("orders.Customer", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(_("answered"), auto_now_add=True)

    class Meta:
        verbose_name = _("survey response")
        verbose_name_plural = _("survey responses")
        constraints = [
            models.UniqueConstraint(fields=["request", "kind"], name="surveyresponse_once"),
            models.CheckConstraint(
                condition=(Q(kind="nps", score__lte=10))
                | Q(kind="return_experience", score__gte=1, score__lte=5),
                name="surveyresponse_score_range",
            ),
        ]
        indexes = [
            models.Index(fields=["kind", "created_at"], name="surveyresponse_kind_idx"),
            models.Index(fields=["order"], name="surveyresponse_order_idx"),
            models.Index(fields=["customer"], name="surveyresponse_customer_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.score}"
