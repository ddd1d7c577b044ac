"""Review and rating endpoints (/api/v1/reviews/, /api/v1/products/…/rating/)."""

from django.urls import path

from feedback.api import review_views as views

urlpatterns = [
    path(
        "products/<int:product_id>/reviews/",
        views.ProductReviewListApi.as_view(),
        name="api-product-reviews",
    ),
    path(
        "products/<int:product_id>/rating/",
        views.ProductRatingApi.as_view(),
        name="api-product-rating",
    ),
    path("reviews/", views.ReviewListApi.as_view(), name="api-reviews"),
    path(
        "reviews/<int:review_id>/photos/<int:photo_id>/",
        views.ReviewPhotoApi.as_view(),
        name="api-review-photo",
    ),
]
