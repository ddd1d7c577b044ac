"""The storefront's reviews API, one view per use case: a product's published reviews, its
rating aggregate, published reviews changed since a moment (sync), and a published review's
photo. Read-only; scope feedback:read. Pending and rejected reviews never leave the OMS."""

from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import renderers, serializers
from rest_framework.generics import GenericAPIView
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from feedback import selectors
from feedback.api.review_serializers import ERRORS, PROBLEM, RatingOutput, ReviewOutput
from oms.models import Scope

READ = {"GET": [Scope.FEEDBACK_READ]}


class NewestPublishedFirst(CursorPagination):
    ordering = ("-published_at", "-id")
    page_size = 20
    page_size_query_param = "limit"
    max_page_size = 100


class OldestChangeFirst(CursorPagination):
    """For sync: follow `next` until it is null, keep the last `updated_at` for next time."""

    ordering = ("updated_at", "id")
    page_size = 100
    page_size_query_param = "limit"
    max_page_size = 500


class ProductReviewListApi(GenericAPIView):
    required_scopes = READ
    serializer_class = ReviewOutput
    pagination_class = NewestPublishedFirst

    @extend_schema(
        operation_id="product_reviews_list",
        responses={200: ReviewOutput(many=True), 401: PROBLEM, 403: PROBLEM, 404: PROBLEM},
        summary="A product's published reviews, newest first (cursor pagination)",
        description="Only reviews a moderator published, with the store's reply if any. An "
        "unknown product is a 404; a product without reviews an empty page.",
    )
    def get(self, request, product_id: int):
        selectors.get_product_id(product_id)
        page = self.paginate_queryset(selectors.published_reviews(product_id=product_id))
        return self.get_paginated_response(
            ReviewOutput(page, many=True, context={"request": request}).data
        )


class ProductRatingApi(APIView):
    required_scopes = READ

    @extend_schema(
        operation_id="product_rating",
        responses={200: RatingOutput, 401: PROBLEM, 403: PROBLEM, 404: PROBLEM},
        summary="A product's rating aggregate: count, average and histogram",
        description="Over published reviews only. The same object is in the `review.published` "
        "webhook's `event.rating`, so a storefront can update its stars without calling back.",
    )
    def get(self, request, product_id: int):
        selectors.get_product_id(product_id)
        return Response(RatingOutput(selectors.rating_aggregate(product_id)).data)


class ReviewListApi(GenericAPIView):
    required_scopes = READ
    serializer_class = ReviewOutput
    pagination_class = OldestChangeFirst

    class FilterInput(serializers.Serializer):
        product = serializers.IntegerField(required=False, min_value=1, help_text="Product id.")
        updated_since = serializers.DateTimeField(
            required=False, help_text="Only reviews changed at or after this moment (ISO 8601)."
        )

    @extend_schema(
        operation_id="reviews_list",
        parameters=[FilterInput],
        responses={200: ReviewOutput(many=True), 400: PROBLEM, 401: PROBLEM, 403: PROBLEM},
        summary="Published reviews for sync, oldest change first (cursor pagination)",
        description="A storefront keeping its own copy asks for `updated_since` = the newest "
        "`updated_at` it holds; a reply added later changes `updated_at`.",
    )
    def get(self, request):
        filters = self.FilterInput(data=request.query_params)
        filters.is_valid(raise_exception=True)
        values = filters.validated_data
        page = self.paginate_queryset(
            selectors.published_reviews(
                product_id=values.get("product"), updated_since=values.get("updated_since")
            )
        )
        return self.get_paginated_response(
            ReviewOutput(page, many=True, context={"request": request}).data
        )


class ImageRenderer(renderers.BaseRenderer):
    """Lets a client ask for a photo with `Accept: image/*`; errors stay JSON."""

    media_type = "image/*"
    format = "image"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data


class ReviewPhotoApi(APIView):
    required_scopes = READ
    renderer_classes = [renderers.JSONRenderer, ImageRenderer]

    @extend_schema(
        operation_id="review_photo",
        responses={
            (200, "image/*"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The photo (JPEG, PNG or WebP)."
            ),
            **ERRORS,
        },
        summary="A published review's photo",
        description="A 404 for a photo of a review that is not published.",
    )
    def get(self, request, review_id: int, photo_id: int):
        photo = selectors.get_published_photo(review_id, photo_id)
        response = FileResponse(photo.image.open("rb"), content_type=photo.content_type)
        response["Cache-Control"] = "private, max-age=3600"
        return response
