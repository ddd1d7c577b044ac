"""seed_demo's feedback: requests after deliveries, answers, reviews in every moderation state,
rewards and referrals paid once, history nobody is sent, built only once."""

from io import StringIO

import pytest
from django.core.management import call_command

from feedback.models import (
    ConsumableProduct,
    FeedbackRequest,
    ProductPair,
    Referral,
    RequestDelay,
    Review,
    SurveyResponse,
)
from notifications.models import Delivery, OutboxMessage
from orders.models import OrderEvent
from returns.models import StoreCreditEntry

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def demo_settings(settings, tmp_path):
    settings.DEBUG = True
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path  # review photos
    return settings


def seed(orders: int = 80) -> str:
    out = StringIO()
    call_command("seed_demo", orders=orders, stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {
        "requests": FeedbackRequest.objects.count(),
        "reviews": Review.objects.count(),
        "responses": SurveyResponse.objects.count(),
        "referrals": Referral.objects.count(),
        "credit": StoreCreditEntry.objects.count(),
        "events": OrderEvent.objects.filter(type=OrderEvent.Type.FEEDBACK).count(),
    }


def test_seed_demo_adds_believable_feedback_once_and_sends_nothing(demo_settings, mailoutbox):
    output = seed()

    assert "Feedback:" in output
    assert RequestDelay.objects.filter(category="").exists()
    assert ConsumableProduct.objects.exists()
    sent = FeedbackRequest.objects.filter(sent_at__isnull=False)
    assert sent.count() > 10
    assert sent.filter(answered_at__isnull=False).count() >= 3
    statuses = set(Review.objects.values_list("status", flat=True))
    assert Review.Status.PUBLISHED in statuses
    assert Review.objects.count() >= 3
    assert SurveyResponse.objects.filter(kind=SurveyResponse.Kind.NPS).count() >= 3
    # Decisions are on the order timeline; photo rewards are paid at most once per line.
    published = Review.objects.filter(status=Review.Status.PUBLISHED).count()
    assert (
        OrderEvent.objects.filter(type=OrderEvent.Type.FEEDBACK, data__step="review_published")
        .values("data__review_id")
        .distinct()
        .count()
        == published
    )
    rewards = StoreCreditEntry.objects.filter(kind=StoreCreditEntry.Kind.REVIEW_REWARD)
    assert rewards.count() == len(set(rewards.values_list("reference", flat=True)))
    assert Referral.objects.exists()
    assert ProductPair.objects.exists()
    # History: no email went out, no delivery waits to be sent.
    assert mailoutbox == []
    assert not Delivery.objects.exists()
    assert not OutboxMessage.objects.filter(dispatched_at__isnull=True).exists()

    before = counts()
    seed()
    assert counts() == before
