"""Review and rating endpoints (/api/v1/reviews/, /api/v1/products/…/rating/)."""

urlpatterns: list = []
