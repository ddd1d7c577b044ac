"""Product reviews: written by the buyer of an order line (one per line), moderated in the
console, published to the storefront through the API and the `review.published` webhook."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from orders.money import CURRENCIES, money_field_kwargs


class Review(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for moderation")
        PUBLISHED = "published", _("Published")
        REJECTED = "rejected", _("Rejected")

    class RejectionReason(models.TextChoices):
        OFF_TOPIC = "off_topic", _("Not about the product")
        OFFENSIVE = "offensive", _("Offensive or abusive")
        PERSONAL_DATA = "personal_data", _("Contains personal data")
        SPAM = "spam", _("Spam or advertising")
        SERVICE_ISSUE = "service_issue", _("About the service, not the product (handled as a case)")
        OTHER = "other", _("Other")

    # Only a buyer reviews: the line ties the review to an order the customer placed.
    line = models.OneToOneField("orders.OrderLine", on_delete=models.CASCADE, related_name="+")
    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="+")
    product = models.ForeignKey("orders.Product", on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey("orders.Customer", on_delete=models.CASCADE, related_name="+")
    request = models.ForeignKey(
        "feedback.FeedbackRequest",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reviews",
    )
    rating = models.PositiveSmallIntegerField(_("rating"))
    title = models.CharField(_("title"), max_length=120, blank=True)
    body = models.TextField(pgettext_lazy("product review", "review"), max_length=5000, blank=True)
    locale = models.CharField(_("language"), max_length=8, default="en")
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    rejection_reason = models.CharField(
        _("rejection reason"), max_length=20, choices=RejectionReason.choices, blank=True
    )
    moderated_by = models.ForeignKey(
        "auth.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    moderated_at = models.DateTimeField(_("moderated"), null=True, blank=True)
    moderation_note = models.CharField(_("moderation note"), max_length=500, blank=True)
    # The store's public answer, shown under the review on the storefront.
    reply = models.TextField(_("reply"), max_length=2000, blank=True)
    replied_by = models.ForeignKey(
        "auth.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    replied_at = models.DateTimeField(_("replied"), null=True, blank=True)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    created_at = models.DateTimeField(_("written"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        # "review" also names a manual check of a return ("análise"): a context keeps them apart.
        verbose_name = pgettext_lazy("product review", "review")
        verbose_name_plural = pgettext_lazy("product review", "reviews")
        permissions = [("moderate_reviews", "Can publish, reject and reply to product reviews")]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__gte=1, rating__lte=5), name="review_rating_1_5"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "published", "rejected"]),
                name="review_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status="rejected") | ~Q(rejection_reason=""),
                name="review_rejection_has_reason",
            ),
        ]
        indexes = [
            # The moderation queue, oldest first.
            models.Index(
                fields=["created_at", "id"],
                condition=Q(status="pending"),
                name="review_pending_idx",
            ),
            # The storefront's list and the aggregates: a product's published reviews.
            models.Index(
                fields=["product", "-published_at"],
                condition=Q(status="published"),
                name="review_product_published_idx",
            ),
            models.Index(fields=["order"], name="review_order_idx"),
            models.Index(fields=["customer"], name="review_customer_idx"),
            models.Index(fields=["created_at"], name="review_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.rating}★ {self.product_id}"


class ReviewPhoto(models.Model):
    """A photo on a review (type checked from its bytes, size limited on upload)."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="photos")
    image = models.FileField(_("photo"), upload_to="feedback/photos/%Y/%m/")
    content_type = models.CharField(max_length=32)
    size = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("review photo")
        verbose_name_plural = _("review photos")


class ReviewReward(models.Model):
    """Store credit for a review with a photo, per currency (admin). Paid once per order line
    through the store-credit ledger (reference "review:<line id>"), when the review is
    published: a rejected review earns nothing."""

    currency = models.CharField(
        _("currency"), max_length=3, choices=[(c, c) for c in CURRENCIES], unique=True
    )
    amount = models.DecimalField(_("amount"), **money_field_kwargs())
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("review photo reward")
        verbose_name_plural = _("review photo rewards")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="reviewreward_amount_gt_0")
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"
