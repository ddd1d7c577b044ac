"""The transactional outbox: a change that rolls back sends nothing on any channel; a change that
commits reaches every channel. Real transactions (transaction=True), so on_commit hooks run
exactly as in production."""

from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from notifications import services as notifications
from notifications.models import Delivery, LiveEvent, OutboxMessage, WebhookEndpoint
from notifications.services import dispatch
from orders import services
from orders.models import Order
from tests.orders.builders import ACTOR, order_input

pytestmark = pytest.mark.django_db(transaction=True)


class Boom(Exception):
    pass


def counts() -> dict[str, int]:
    return {
        "outbox": OutboxMessage.objects.count(),
        "deliveries": Delivery.objects.count(),
        "live": LiveEvent.objects.count(),
        "emails": len(mail.outbox),
    }


@pytest.fixture
def endpoint(db) -> WebhookEndpoint:
    """A subscriber for every event, so a webhook delivery would be planned if anything leaked.
    Inactive until a test says otherwise: this file tests the outbox, not HTTP delivery."""
    return WebhookEndpoint.objects.create(url="https://hooks.example.com/oms", is_active=False)


@pytest.fixture
def placed_order(stocked_variant) -> Order:
    return services.place_order(data=order_input([("TEE-M", 2)]), actor=ACTOR)


def test_a_change_whose_transaction_rolls_back_sends_nothing_on_any_channel(placed_order, endpoint):
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(is_active=True)
    before = counts()

    with pytest.raises(Boom), transaction.atomic():
        services.cancel_order(order=placed_order, actor=ACTOR, reason="customer asked")
        assert OutboxMessage.objects.filter(event_type="order.cancelled").exists()
        raise Boom

    assert counts() == before
    assert not OutboxMessage.objects.filter(event_type="order.cancelled").exists()
    placed_order.refresh_from_db()
    assert placed_order.status == Order.Status.CONFIRMED
    # Nothing is left for the sweep either, however late it runs.
    OutboxMessage.objects.update(created_at=timezone.now() - timedelta(hours=1))
    dispatch.sweep()
    assert counts() == before


def test_a_rolled_back_emit_sends_no_email_sms_webhook_or_live_update(endpoint):
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(is_active=True)
    payload = {
        "order": {
            "number": "100900",
            "email": "ana@example.com",
            "phone": "+5511987654321",
            "locale": "en",
        },
        "event": {"type": "tracking", "shipment": "100900-1"},
    }

    with pytest.raises(Boom), transaction.atomic():
        notifications.emit(
            "shipment.out_for_delivery",
            aggregate_type="order",
            aggregate_id="100900",
            payload=payload,
        )
        raise Boom

    assert counts() == {"outbox": 0, "deliveries": 0, "live": 0, "emails": 0}


def test_a_rolled_back_savepoint_sends_nothing_while_the_rest_of_the_change_is_sent(
    placed_order,
):
    with transaction.atomic():
        try:
            with transaction.atomic():
                services.cancel_order(order=placed_order, actor=ACTOR, reason="customer asked")
                raise Boom
        except Boom:
            pass
        services.hold_order(order=placed_order, actor=ACTOR, reason="fraud review")

    assert not OutboxMessage.objects.filter(event_type="order.cancelled").exists()
    assert not Delivery.objects.filter(event_type="order.cancelled").exists()
    held = OutboxMessage.objects.get(event_type="order.held")
    assert held.dispatched_at is not None
    assert set(held.deliveries.values_list("status", flat=True)) == {"sent"}


def test_a_committed_change_reaches_every_channel(placed_order, endpoint, settings):
    # The webhook channel is another module's; a stand-in records the attempt here.
    settings.OMS_CHANNEL_BACKENDS = {"webhook": "tests.notifications.test_outbox.RecordingChannel"}
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(is_active=True)
    RecordingChannel.sent.clear()

    services.cancel_order(order=placed_order, actor=ACTOR, reason="customer asked")

    message = OutboxMessage.objects.get(event_type="order.cancelled")
    assert message.dispatched_at is not None
    deliveries = {(d.channel, d.target): d.status for d in message.deliveries.all()}
    assert deliveries == {
        ("live", "staff"): "sent",
        ("live", f"order:{placed_order.number}"): "sent",
        ("email", "ana@example.com"): "sent",
        ("webhook", str(endpoint.pk)): "sent",
    }
    assert LiveEvent.objects.filter(delivery__message=message).count() == 2
    assert [m.subject for m in mail.outbox][-1] == (
        f"Your order {placed_order.number} has been cancelled"
    )
    assert message.pk in RecordingChannel.sent


class RecordingChannel:
    sent: list = []

    def send(self, delivery):
        from notifications.channels import SendResult

        RecordingChannel.sent.append(delivery.message_id)
        return SendResult(True)
