"""Feedback test data: orders placed through the real services, reviews on their lines,
photos, survey answers (add your helpers below, one block per owner)."""

import itertools
import struct
import uuid
import zlib

from django.core.files.base import ContentFile

from feedback.models import FeedbackRequest, Review, ReviewPhoto, SurveyResponse
from orders import services
from orders.models import Order, OrderLine
from tests.factories import StockFactory, VariantFactory, WarehouseFactory
from tests.orders.builders import ACTOR, order_input

_numbers = itertools.count(1)


def _png() -> bytes:
    """A valid 1x1 PNG (what a phone photo is, for the type check; browsers can draw it)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 6, 0, 0, 0)  # 1x1, 8-bit RGBA
    pixels = zlib.compress(b"\x00\xc0\x39\x2b\xff")  # filter byte + one red pixel
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


PNG = _png()


def placed_order(
    products: int = 1, *, email: str = "ana@example.com", currency: str = "USD", **overrides
) -> Order:
    """An order placed through the services, one unit of `products` new products (each its own
    variant, in stock at warehouse MAIN)."""
    warehouse = WarehouseFactory(code="MAIN")
    skus = []
    for _ in range(products):
        variant = VariantFactory(sku=f"FB-{next(_numbers):05d}", currency=currency)
        StockFactory(variant=variant, warehouse=warehouse, on_hand=50)
        skus.append(variant.sku)
    customer = services.CustomerInput(email=email, name="Ana Souza")
    data = order_input(
        [(sku, 1) for sku in skus], customer=customer, currency=currency, **overrides
    )
    return services.place_order(data=data, actor=ACTOR)


def make_review(line: OrderLine, **fields) -> Review:
    """A pending review of `line` by the order's customer."""
    order = line.order
    values = {
        "line": line,
        "order": order,
        "product_id": line.variant.product_id,
        "customer_id": order.customer_id,
        "rating": 4,
        "title": "Good",
        "body": "Fits well.",
        "locale": order.locale or "en",
    }
    values.update(fields)
    return Review.objects.create(**values)


def add_photo(review: Review) -> ReviewPhoto:
    photo = ReviewPhoto(review=review, content_type="image/png", size=len(PNG))
    photo.image.save("photo.png", ContentFile(PNG), save=False)
    photo.save()
    return photo


def answer_survey(
    order: Order, score: int, comment: str = "", *, kind: str = SurveyResponse.Kind.NPS
) -> SurveyResponse:
    """A request for the order (answered) and its survey response."""
    request_kind = (
        FeedbackRequest.Kind.REVIEW
        if kind == SurveyResponse.Kind.NPS
        else FeedbackRequest.Kind.RETURN_SURVEY
    )
    request, _ = FeedbackRequest.objects.get_or_create(
        kind=request_kind,
        subject=f"order:{order.pk}",
        defaults={
            "order": order,
            "customer_id": order.customer_id,
            "nonce": uuid.uuid4().hex,
            "scheduled_for": order.created_at,
            "status": FeedbackRequest.Status.ANSWERED,
        },
    )
    return SurveyResponse.objects.create(
        request=request,
        kind=kind,
        score=score,
        comment=comment,
        order=order,
        customer_id=order.customer_id,
    )
