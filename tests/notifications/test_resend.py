"""Resending a customer message: a copy goes by email only to the address given, through the
dispatcher (its own delivery and Message-ID), scoped to the order it was about."""

import pytest
from django.core import mail
from django.db import transaction

from notifications.models import Delivery, OutboxMessage, WebhookEndpoint
from notifications.services.resend import resend_message
from oms.actors import Actor
from oms.exceptions import NotFound, ValidationFailed
from orders import services
from tests.factories import StockFactory, VariantFactory
from tests.orders.builders import ACTOR, order_input

pytestmark = pytest.mark.django_db

REP = Actor(kind="staff", label="rep")


@pytest.fixture
def order(db, django_capture_on_commit_callbacks):
    StockFactory(variant=VariantFactory(sku="TEE-M"), on_hand=5)
    WebhookEndpoint.objects.create(url="https://hooks.example.com/oms")
    with django_capture_on_commit_callbacks(execute=True):
        placed = services.place_order(data=order_input([("TEE-M", 1)]), actor=ACTOR)
    mail.outbox.clear()
    return placed


def confirmation(order) -> OutboxMessage:
    return OutboxMessage.objects.get(aggregate_id=order.number, event_type="order.confirmed")


def resend(order, message, to="ana.new@example.com"):
    return resend_message(
        message_id=message.pk,
        to=to,
        actor=REP,
        aggregate_type="order",
        aggregate_id=order.number,
    )


def test_resend_emails_a_copy_to_the_current_address_only(
    order, django_capture_on_commit_callbacks
):
    original = confirmation(order)
    deliveries_before = Delivery.objects.count()

    with django_capture_on_commit_callbacks(execute=True):
        delivery = resend(order, original, to=" Ana.New@Example.com ")

    delivery.refresh_from_db()
    assert (delivery.channel, delivery.target, delivery.status) == (
        "email",
        "ana.new@example.com",
        "sent",
    )
    assert Delivery.objects.count() == deliveries_before + 1  # no webhook, no live update
    (email,) = mail.outbox
    assert email.to == ["ana.new@example.com"]
    assert email.extra_headers["Message-ID"].startswith(f"<delivery-{delivery.pk}@")
    assert order.number in email.subject
    copy = delivery.message
    assert copy.pk != original.pk and copy.event_type == "order.confirmed"
    assert copy.payload["resend"] == {"of": str(original.pk), "by": "rep"}
    assert copy.dispatched_at is not None  # the sweep never fans it out again
    original.refresh_from_db()
    assert original.payload["order"]["email"] == "ana@example.com"


def test_a_message_of_another_order_is_not_found(order):
    with pytest.raises(NotFound):
        resend_message(
            message_id=confirmation(order).pk,
            to="a@example.com",
            actor=REP,
            aggregate_type="order",
            aggregate_id="999999",
        )
    assert not mail.outbox


def test_messages_without_an_email_and_bad_addresses_are_refused(order):
    created = OutboxMessage.objects.get(aggregate_id=order.number, event_type="order.created")
    count = OutboxMessage.objects.count()

    with pytest.raises(ValidationFailed) as refused:
        resend(order, created)
    assert refused.value.errors[0]["field"] == "message"
    with pytest.raises(ValidationFailed) as refused:
        resend(order, confirmation(order), to="not an address")
    assert refused.value.errors[0]["field"] == "email"
    assert OutboxMessage.objects.count() == count


def test_a_rolled_back_resend_sends_nothing(order, django_capture_on_commit_callbacks):
    count = Delivery.objects.count()
    message = confirmation(order)
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        resend(order, message)
        raise RuntimeError("the caller's transaction fails")
    assert Delivery.objects.count() == count and not mail.outbox


def test_a_portal_access_code_is_never_resent_anywhere(order):
    # Its copy at another address would open the customer's order to whoever reads it.
    with transaction.atomic():
        code = OutboxMessage.objects.create(
            event_type="return.access_code",
            aggregate_type="order",
            aggregate_id=order.number,
            payload={"order": {"number": order.number, "email": order.email}},
        )
    count = OutboxMessage.objects.count()

    with pytest.raises(ValidationFailed) as refused:
        resend(order, code, to="someone.else@example.com")

    assert refused.value.errors[0]["code"] == "not_resendable"
    assert OutboxMessage.objects.count() == count
    assert mail.outbox == []
