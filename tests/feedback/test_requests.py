"""Asking for feedback: when the review request goes out (the longest category delay), to
whom never (opt-outs, global or by topic, on every channel; nothing left to review), and never
twice for one order, even from concurrent runs."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from feedback import links
from feedback.models import FeedbackRequest, RequestDelay, Review
from feedback.services import requests
from feedback.tasks.requests import send_feedback_requests
from notifications.models import Delivery, OutboxMessage
from notifications.services.dispatch import fan_out
from notifications.services.preferences import set_preference
from orders.models import Order, OrderEvent, Product
from tests.feedback.asking import (
    after_delay,
    asked,
    asked_about_return,
    delivered_order,
    feedback_link,
    rejected_return,
)
from tests.feedback.concurrency import race

pytestmark = pytest.mark.django_db
Status = FeedbackRequest.Status


def requested(event_type: str = "feedback.review_requested"):
    return OutboxMessage.objects.filter(event_type=event_type)


def test_a_delivered_order_is_asked_once_after_the_default_delay():
    order = delivered_order(delivered_days_ago=1)
    delivered_at = max(s.delivered_at for s in order.shipments.all())

    assert requests.schedule_review_requests() == 1
    feedback_request = FeedbackRequest.objects.get(order=order)
    assert feedback_request.kind == "review" and feedback_request.status == Status.SCHEDULED
    assert feedback_request.subject == f"order:{order.pk}"
    assert feedback_request.scheduled_for == delivered_at + timedelta(days=7)
    # Not due yet: nothing goes out.
    assert requests.send_due_requests() == 0
    assert not requested().exists()

    later = after_delay()
    assert requests.send_due_requests(now=later) == 1
    feedback_request.refresh_from_db()
    assert feedback_request.status == Status.SENT and feedback_request.sent_at == later
    assert feedback_request.expires_at == later + timedelta(days=30)
    (message,) = requested()
    assert message.payload["order"]["number"] == order.number
    event = message.payload["event"]
    assert event["request_id"] == feedback_request.pk
    assert [line["sku"] for line in event["lines"]] == ["TEE-M", "CAP"]
    # No secret in the payload: the link is added when the email is rendered.
    assert feedback_request.nonce not in str(message.payload)
    assert OrderEvent.objects.filter(order=order, type="feedback").count() == 1
    fan_out(message.pk)
    (email,) = Delivery.objects.filter(message=message).exclude(channel="live")
    assert (email.channel, email.target, email.status) == ("email", "ana@example.com", "sent")
    (sent,) = mail.outbox
    path = feedback_link(sent.body)
    assert links.target_from_token(path.split("/")[-2]).request_id == feedback_request.pk
    assert order.number in sent.subject


def test_the_longest_delay_of_the_orders_categories_wins():
    RequestDelay.objects.create(category="", delay_days=5)
    RequestDelay.objects.create(category="furniture", delay_days=21)
    RequestDelay.objects.create(category="apparel", delay_days=3)
    order = delivered_order(delivered_days_ago=1)
    delivered_at = max(s.delivered_at for s in order.shipments.all())
    tee, cap = (line.variant.product for line in order.lines.order_by("line_number"))
    Product.objects.filter(pk=tee.pk).update(category="furniture")
    Product.objects.filter(pk=cap.pk).update(category="toys")  # no row: the default, 5

    requests.schedule_review_requests()

    assert FeedbackRequest.objects.get().scheduled_for == delivered_at + timedelta(days=21)
    assert requests.delay_days_for({"apparel"}, {"apparel": 3, "": 5}) == 3
    assert requests.delay_days_for({"toys"}, {"apparel": 3}) == 7


def test_orders_delivered_more_than_sixty_days_ago_are_never_asked():
    delivered_order(delivered_days_ago=61)

    assert requests.schedule_review_requests() == 0
    assert not FeedbackRequest.objects.exists()


def test_running_the_task_twice_asks_once():
    order = delivered_order()
    later = after_delay()

    for _ in range(2):
        requests.schedule_review_requests(now=later)
        requests.send_due_requests(now=later)
    send_feedback_requests.delay()  # the real task, now: nothing more to do

    assert FeedbackRequest.objects.filter(order=order).count() == 1
    (message,) = requested()
    fan_out(message.pk)
    fan_out(message.pk)
    assert Delivery.objects.filter(message=message, channel="email").count() == 1


@pytest.mark.parametrize(
    ("preference", "reason"),
    [
        ({"wants_non_essential": False}, "opted out"),
        (
            {"wants_non_essential": True, "opted_out_topics": ["feedback_requests"]},
            "opted out: feedback_requests",
        ),
    ],
)
def test_a_customer_who_opted_out_is_not_asked_on_any_channel(preference, reason):
    order = delivered_order(email="Ana@Example.com")
    Order.objects.filter(pk=order.pk).update(phone="+5511987654321")  # SMS would be possible
    set_preference(email="ana@example.com", **preference)

    feedback_request = asked(order)

    assert (feedback_request.status, feedback_request.skip_reason) == (Status.SKIPPED, reason)
    assert feedback_request.sent_at is None
    assert not requested().exists()
    assert not Delivery.objects.filter(event_type__startswith="feedback.").exists()
    assert not OrderEvent.objects.filter(order=order, type="feedback").exists()
    # Skipped stays skipped: a later run does not ask after all.
    requests.send_due_requests(now=after_delay(9))
    assert not requested().exists()


def test_a_customer_who_opted_out_of_another_topic_is_still_asked():
    order = delivered_order()
    set_preference(
        email="ana@example.com", wants_non_essential=True, opted_out_topics=["replenishment"]
    )

    assert asked(order).status == Status.SENT


def test_an_order_with_every_line_reviewed_or_returned_is_not_asked():
    order = delivered_order((("TEE-M", 1), ("CAP", 1)))
    tee, cap = order.lines.order_by("line_number")
    Review.objects.create(
        line=tee,
        order=order,
        product_id=tee.variant.product_id,
        customer_id=order.customer_id,
        rating=5,
    )
    type(cap).objects.filter(pk=cap.pk).update(quantity_returned=cap.quantity_shipped)

    feedback_request = asked(order)

    assert (feedback_request.status, feedback_request.skip_reason) == (
        Status.SKIPPED,
        "nothing_to_review",
    )
    assert not requested().exists()


def test_a_partly_returned_line_can_still_be_reviewed():
    order = delivered_order((("TEE-M", 2),))
    line = order.lines.get()
    type(line).objects.filter(pk=line.pk).update(quantity_returned=1)

    assert asked(order).status == Status.SENT


def test_a_resolved_return_gets_its_survey_once_and_an_open_one_none():
    order = delivered_order()
    feedback_request = asked_about_return(order)

    assert feedback_request.status == Status.SENT
    assert feedback_request.subject == f"return:{feedback_request.return_request_id}"
    (message,) = requested("feedback.return_survey_requested")
    assert message.payload["event"]["rma"] == feedback_request.return_request.rma
    assert requests.schedule_return_surveys() == 0
    requests.send_due_requests()
    assert requested("feedback.return_survey_requested").count() == 1


def test_an_open_return_is_not_surveyed():
    from tests.feedback.asking import request, store_policy, wanted

    order = delivered_order()
    store_policy()
    request(order, wanted(order, "TEE-M", 1))

    assert requests.schedule_return_surveys() == 0


def test_expired_requests_are_marked_expired():
    order = delivered_order()
    feedback_request = asked(order)

    assert requests.expire_requests(now=feedback_request.expires_at - timedelta(seconds=1)) == 0
    assert requests.expire_requests(now=feedback_request.expires_at + timedelta(seconds=1)) == 1
    feedback_request.refresh_from_db()
    assert feedback_request.status == Status.EXPIRED


def test_the_return_survey_also_respects_opt_outs():
    order = delivered_order()
    set_preference(email="ana@example.com", wants_non_essential=False)
    return_request = rejected_return(order)

    requests.schedule_return_surveys()
    requests.send_due_requests()

    feedback_request = FeedbackRequest.objects.get(return_request=return_request)
    assert feedback_request.status == Status.SKIPPED
    assert not requested("feedback.return_survey_requested").exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_runs_ask_each_customer_once_on_postgresql():
    orders = [delivered_order((("TEE-M", 1),), email="ana@example.com")]
    orders.append(delivered_order((("CAP", 1),), email="bo@example.com", warehouse_code="WEST"))
    later = after_delay()
    threads_count = 6
    outcomes = race(
        lambda _index: (
            requests.schedule_review_requests(now=later),
            requests.send_due_requests(now=later),
        ),
        threads_count,
    )
    errors = [outcome for outcome in outcomes if isinstance(outcome, Exception)]

    assert not errors, errors
    assert FeedbackRequest.objects.count() == 2
    assert set(FeedbackRequest.objects.values_list("status", flat=True)) == {Status.SENT}
    numbers = sorted(m.payload["order"]["number"] for m in requested())
    assert numbers == sorted(order.number for order in orders)
    assert timezone.now() < later
