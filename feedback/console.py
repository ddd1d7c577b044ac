"""What feedback adds to the console beyond its own pages, wired from FeedbackConfig.ready:
the feedback panels on the order page and the customer 360 (support's panel registry), and
the feedback measures in insights (registered by importing their module)."""

from django.db.models import Count

from feedback.models import FeedbackRequest, Review, SurveyResponse
from feedback.services.moderation import PERMISSION

CUSTOMER_LIMIT = 10


def order_panel(order, user) -> dict | None:
    """The order's reviews, survey answers and what was asked. Three queries."""
    reviews = list(
        Review.objects.filter(order_id=order.pk)
        .select_related("product", "line")
        .annotate(photo_count=Count("photos"))
        .order_by("id")
    )
    responses = list(SurveyResponse.objects.filter(order_id=order.pk).order_by("created_at"))
    requests = list(FeedbackRequest.objects.filter(order_id=order.pk).order_by("created_at"))
    return {
        "reviews": reviews,
        "responses": responses,
        "requests": requests,
        "count": len(reviews) + len(responses),
        "can_moderate": user.has_perm(PERMISSION),
        "is_empty": not (reviews or responses or requests),
    }


def customer_panel(customer, user) -> dict | None:
    """The customer's latest reviews and survey answers. Two queries."""
    reviews = list(
        Review.objects.filter(customer_id=customer.pk)
        .select_related("product", "order")
        .only(
            "id",
            "rating",
            "title",
            "body",
            "status",
            "created_at",
            "product__name",
            "order__number",
        )
        .order_by("-id")[:CUSTOMER_LIMIT]
    )
    responses = list(
        SurveyResponse.objects.filter(customer_id=customer.pk)
        .select_related("order")
        .only("id", "kind", "score", "comment", "created_at", "order__number")
        .order_by("-id")[:CUSTOMER_LIMIT]
    )
    return {
        "reviews": reviews,
        "responses": responses,
        "limit": CUSTOMER_LIMIT,
        "can_moderate": user.has_perm(PERMISSION),
        "is_empty": not (reviews or responses),
    }


def register() -> None:
    import feedback.measures  # noqa: F401 - registers the feedback measures in insights
    from support.panels import register_customer_panel, register_order_panel

    register_order_panel("feedback/console/_order_panel.html", order_panel)
    register_customer_panel("feedback/console/_customer_panel.html", customer_panel)
