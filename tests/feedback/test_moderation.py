"""Review moderation: publish, reject with a reason, reply; each decision on the order timeline
with its actor and reason; the photo reward paid once per line (also under concurrency);
only moderators decide; a decided review stays decided."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, User

from feedback.models import Review, ReviewReward
from feedback.services import moderation
from notifications.models import OutboxMessage
from oms.exceptions import Conflict, PermissionDenied, ValidationFailed
from orders.models import OrderEvent
from returns.models import StoreCreditEntry
from tests.feedback.concurrency import race
from tests.feedback.factories import add_photo, make_review, placed_order

pytestmark = pytest.mark.django_db


def moderator(name: str = "mod") -> User:
    user = User.objects.create_user(name)
    user.groups.add(Group.objects.get(name="supervisor"))
    return user


def agent(name: str = "rep") -> User:
    user = User.objects.create_user(name)
    user.groups.add(Group.objects.get(name="agent"))
    return user


def feedback_events(order):
    return list(OrderEvent.objects.filter(order=order, type=OrderEvent.Type.FEEDBACK))


def review_messages(event_type: str):
    return list(OutboxMessage.objects.filter(event_type=event_type))


def test_supervisors_and_admins_may_moderate_agents_may_not():
    admin = User.objects.create_user("boss")
    admin.groups.add(Group.objects.get(name="admin"))
    assert moderator().has_perm("feedback.moderate_reviews")
    assert admin.has_perm("feedback.moderate_reviews")
    assert not agent().has_perm("feedback.moderate_reviews")


def test_publishing_puts_the_decision_on_the_timeline_and_emits_review_published():
    order = placed_order()
    review = make_review(order.lines.get(), rating=5)
    user = moderator()

    moderation.publish_review(review.pk, user=user, note="looks genuine")

    review.refresh_from_db()
    assert review.status == Review.Status.PUBLISHED
    assert review.moderated_by == user and review.published_at is not None
    (event,) = feedback_events(order)
    assert event.actor_label == "mod" and event.actor_user == user
    assert event.reason == "looks genuine"
    assert event.data["step"] == "review_published" and event.data["review_id"] == review.pk
    (message,) = review_messages("review.published")
    assert message.payload["order"]["number"] == order.number
    assert message.payload["review"]["status"] == "published"
    assert message.payload["event"]["rating"]["count"] == 1
    assert message.payload["event"]["rating"]["average"] == "5.00"


def test_rejecting_records_the_reason_on_the_timeline_and_emits_review_rejected():
    order = placed_order()
    review = make_review(order.lines.get(), rating=1)

    moderation.reject_review(
        review.pk, user=moderator(), reason_code="personal_data", note="phone number"
    )

    review.refresh_from_db()
    assert review.status == Review.Status.REJECTED
    assert review.rejection_reason == "personal_data"
    (event,) = feedback_events(order)
    assert event.data["step"] == "review_rejected"
    assert event.data["rejection_reason"] == "personal_data"
    assert "phone number" in event.reason and event.actor_label == "mod"
    (message,) = review_messages("review.rejected")
    assert message.payload["review"]["rejection_reason"] == "personal_data"
    assert not review_messages("review.published")


def test_rejecting_without_a_known_reason_is_refused_and_changes_nothing():
    order = placed_order()
    review = make_review(order.lines.get())

    with pytest.raises(ValidationFailed) as refusal:
        moderation.reject_review(review.pk, user=moderator(), reason_code="because")

    assert refusal.value.code == "invalid_rejection_reason"
    review.refresh_from_db()
    assert review.status == Review.Status.PENDING and review.moderated_at is None
    assert (
        not feedback_events(order)
        and not OutboxMessage.objects.filter(event_type__startswith="review.").exists()
    )


@pytest.mark.parametrize("first", ["publish", "reject"])
def test_a_decided_review_cannot_be_decided_again(first):
    order = placed_order()
    review = make_review(order.lines.get())
    user = moderator()
    decide = {
        "publish": lambda: moderation.publish_review(review.pk, user=user),
        "reject": lambda: moderation.reject_review(review.pk, user=user, reason_code="spam"),
    }
    decide[first]()
    status = Review.objects.get(pk=review.pk).status
    events, messages = len(feedback_events(order)), OutboxMessage.objects.count()

    for again in decide.values():
        with pytest.raises(Conflict) as refusal:
            again()
        assert refusal.value.code == "review_already_decided"

    assert Review.objects.get(pk=review.pk).status == status
    assert len(feedback_events(order)) == events
    assert OutboxMessage.objects.count() == messages


def test_replying_is_allowed_after_a_decision_and_republishes_a_published_review():
    order = placed_order()
    review = make_review(order.lines.get())
    user = moderator()
    moderation.publish_review(review.pk, user=user)

    moderation.reply_to_review(review.pk, user=user, text="Thank you, Ana!")

    review.refresh_from_db()
    assert review.reply == "Thank you, Ana!" and review.replied_by == user
    assert [e.data["step"] for e in feedback_events(order)] == [
        "review_published",
        "review_replied",
    ]
    published = review_messages("review.published")
    assert len(published) == 2 and published[-1].payload["review"]["reply"] == "Thank you, Ana!"


def test_replying_to_a_pending_review_emits_nothing_and_an_empty_reply_is_refused():
    order = placed_order()
    review = make_review(order.lines.get())
    user = moderator()

    with pytest.raises(ValidationFailed):
        moderation.reply_to_review(review.pk, user=user, text="   ")
    assert not feedback_events(order)

    moderation.reply_to_review(review.pk, user=user, text="We will look into it.")
    assert Review.objects.get(pk=review.pk).status == Review.Status.PENDING
    assert [e.data["step"] for e in feedback_events(order)] == ["review_replied"]
    assert not OutboxMessage.objects.filter(event_type__startswith="review.").exists()


@pytest.mark.parametrize(
    "action",
    [
        lambda pk, user: moderation.publish_review(pk, user=user),
        lambda pk, user: moderation.reject_review(pk, user=user, reason_code="spam"),
        lambda pk, user: moderation.reply_to_review(pk, user=user, text="hi"),
    ],
    ids=["publish", "reject", "reply"],
)
def test_users_without_the_permission_are_refused_and_nothing_happens(action):
    order = placed_order()
    review = make_review(order.lines.get())
    add_photo(review)
    ReviewReward.objects.create(currency="USD", amount=Decimal("5.00"))

    with pytest.raises(PermissionDenied):
        action(review.pk, agent())

    review.refresh_from_db()
    assert review.status == Review.Status.PENDING and review.reply == ""
    assert not feedback_events(order)
    assert not StoreCreditEntry.objects.exists()
    assert not OutboxMessage.objects.filter(event_type__startswith="review.").exists()


def test_publishing_a_review_with_a_photo_pays_the_reward_in_the_order_currency_once():
    order = placed_order(currency="BRL")
    review = make_review(order.lines.get())
    add_photo(review)
    ReviewReward.objects.create(currency="BRL", amount=Decimal("10.00"))
    ReviewReward.objects.create(currency="USD", amount=Decimal("3.00"))
    user = moderator()

    moderation.publish_review(review.pk, user=user)
    with pytest.raises(Conflict):
        moderation.publish_review(review.pk, user=user)

    (entry,) = StoreCreditEntry.objects.all()
    assert (entry.kind, entry.reference) == ("review_reward", f"review:{review.line_id}")
    assert (entry.amount, entry.currency, entry.customer_id) == (
        Decimal("10.00"),
        "BRL",
        order.customer_id,
    )
    (event,) = feedback_events(order)
    assert event.data["reward_amount"] == "10.00" and event.data["reward_currency"] == "BRL"
    assert OutboxMessage.objects.filter(event_type="store_credit.issued").count() == 1


def test_no_reward_without_a_photo_without_an_active_reward_or_when_rejected():
    user = moderator()
    ReviewReward.objects.create(currency="USD", amount=Decimal("5.00"))
    without_photo = make_review(placed_order().lines.get())
    moderation.publish_review(without_photo.pk, user=user)

    rejected = make_review(placed_order().lines.get())
    add_photo(rejected)
    moderation.reject_review(rejected.pk, user=user, reason_code="off_topic")

    ReviewReward.objects.update(is_active=False)
    inactive = make_review(placed_order().lines.get())
    add_photo(inactive)
    moderation.publish_review(inactive.pk, user=user)

    assert not StoreCreditEntry.objects.exists()


def test_the_reward_is_once_per_line_even_if_the_ledger_already_has_it():
    """A reward paid earlier for the line (say, by a retried job) is not paid again."""
    order = placed_order()
    review = make_review(order.lines.get())
    add_photo(review)
    ReviewReward.objects.create(currency="USD", amount=Decimal("5.00"))
    moderation.publish_review(review.pk, user=moderator())
    Review.objects.filter(pk=review.pk).update(status=Review.Status.PENDING)

    moderation.publish_review(review.pk, user=moderator("other"))

    assert StoreCreditEntry.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_publishes_decide_once_and_pay_the_reward_once_on_postgresql():
    order = placed_order()
    review = make_review(order.lines.get())
    add_photo(review)
    ReviewReward.objects.create(currency="USD", amount=Decimal("5.00"))
    users = [moderator(f"mod{i}") for i in range(8)]

    results = race(lambda i: moderation.publish_review(review.pk, user=users[i]), 8)

    published = [r for r in results if isinstance(r, Review)]
    refused = [r for r in results if isinstance(r, Conflict)]
    assert (len(published), len(refused)) == (1, 7), results
    assert StoreCreditEntry.objects.filter(reference=f"review:{review.line_id}").count() == 1
    assert len(feedback_events(order)) == 1
    assert OutboxMessage.objects.filter(event_type="review.published").count() == 1
