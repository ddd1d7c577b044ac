"""REST API of the notifications app (webhook endpoints, deliveries), under /api/v1/."""

urlpatterns: list = []
