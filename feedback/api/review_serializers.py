"""Output and input shapes of the storefront's reviews API: published reviews (with the store's
reply and photo links) and a product's rating aggregate."""

from django.urls import reverse
from drf_spectacular.drainage import set_override
from drf_spectacular.utils import extend_schema_field, inline_serializer
from rest_framework import serializers

from feedback.models import Review, ReviewPhoto
from feedback.services.reviews import author_name

# The same shape as the other APIs' problem (oms.api.problems): drf-spectacular keeps the first
# "Problem" component it meets, so the declarations must stay identical.
PROBLEM = inline_serializer(
    "Problem",
    {
        "type": serializers.CharField(),
        "title": serializers.CharField(),
        "status": serializers.IntegerField(),
        "code": serializers.CharField(),
        "detail": serializers.CharField(),
        "errors": serializers.ListField(child=serializers.DictField(), required=False),
    },
)
set_override(type(PROBLEM), "suppress_collision_warning", True)
ERRORS = {400: PROBLEM, 401: PROBLEM, 403: PROBLEM, 404: PROBLEM}


class ReviewPhotoOutput(serializers.ModelSerializer):
    url = serializers.SerializerMethodField(
        help_text="The photo itself (GET with the same token and scope)."
    )

    class Meta:
        model = ReviewPhoto
        fields = ["id", "content_type", "size", "url"]

    def get_url(self, photo: ReviewPhoto) -> str:
        path = reverse(
            "api-review-photo", kwargs={"review_id": photo.review_id, "photo_id": photo.pk}
        )
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class ReviewOutput(serializers.ModelSerializer):
    author = serializers.SerializerMethodField(help_text='First name and initial: "Ana S.".')
    verified_buyer = serializers.SerializerMethodField(
        help_text="Always true: only the buyer of an order line can review it."
    )
    photos = ReviewPhotoOutput(many=True, read_only=True)

    class Meta:
        model = Review
        fields = [
            "id",
            "product_id",
            "rating",
            "title",
            "body",
            "locale",
            "author",
            "verified_buyer",
            "photos",
            "reply",
            "replied_at",
            "created_at",
            "published_at",
            "updated_at",
        ]

    def get_author(self, review: Review) -> str:
        # The same name as the review events' "author" (webhooks), so both always agree.
        return author_name(review.order.shipping_address.get("name", ""))

    def get_verified_buyer(self, review: Review) -> bool:
        return True


@extend_schema_field(
    {
        "type": "object",
        "properties": {str(stars): {"type": "integer"} for stars in range(1, 6)},
        "required": [str(stars) for stars in range(1, 6)],
        "example": {"1": 0, "2": 1, "3": 2, "4": 9, "5": 30},
    }
)
class HistogramField(serializers.DictField):
    """How many published reviews gave each rating, every key "1" to "5" present."""


class RatingOutput(serializers.Serializer):
    product_id = serializers.IntegerField()
    count = serializers.IntegerField(help_text="Published reviews.")
    average = serializers.CharField(
        allow_null=True,
        help_text='The average rating with two decimals ("4.47"); null without reviews.',
    )
    histogram = HistogramField(child=serializers.IntegerField())
