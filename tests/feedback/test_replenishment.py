"""Replenishment reminders: one per delivered line of a consumable, due at delivery + interval x
units, the interval set in the admin or observed from reorders; skipped (with the reason) when
the customer reordered, returned the units or turned reminders off; sent once."""

import io
import itertools
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from feedback.models import ConsumableProduct, ReplenishmentReminder
from feedback.services import replenishment
from feedback.tasks.recommendations import send_replenishment_reminders
from notifications.models import OutboxMessage
from notifications.rendering import render_email
from notifications.services.preferences import set_preference
from orders import services
from orders.models import Order, OrderLine, Shipment
from tests.factories import StockFactory, VariantFactory, WarehouseFactory
from tests.feedback.concurrency import race
from tests.orders.builders import ACTOR, deliver, order_input, ship

pytestmark = pytest.mark.django_db

DELIVERED = datetime(2026, 11, 20, 12, tzinfo=UTC)  # tests.orders.builders.deliver's scan
_tracking = itertools.count(1)
Status = ReplenishmentReminder.Status


@pytest.fixture
def coffee():
    """A consumable (one bag lasts 30 days) and a product that is not one."""
    warehouse = WarehouseFactory(code="MAIN")
    bag = VariantFactory(sku="COFFEE", product__name="Coffee beans", product__slug="coffee")
    mug = VariantFactory(sku="MUG", product__name="Mug", product__slug="mug")
    for variant in (bag, mug):
        StockFactory(variant=variant, warehouse=warehouse, on_hand=500)
    ConsumableProduct.objects.create(product=bag.product, reorder_interval_days=30)
    return bag.product


def buy(lines, email: str = "ana@example.com") -> Order:
    customer = services.CustomerInput(email=email, name="Ana Souza")
    return services.place_order(data=order_input(lines, customer=customer), actor=ACTOR)


def delivered(lines, email: str = "ana@example.com") -> Order:
    order = buy(lines, email)
    for shipment in order.shipments.all():
        number = next(_tracking)
        deliver(ship(shipment, f"R-{number}"), f"rd-{number}")
    order.refresh_from_db()
    assert order.status == Order.Status.DELIVERED
    return order


def reminders():
    return ReplenishmentReminder.objects.order_by("pk")


def test_a_delivered_consumable_is_due_when_the_units_bought_run_out(coffee):
    order = delivered([("COFFEE", 2), ("MUG", 1)])
    assert replenishment.schedule_reminders() == 1
    (reminder,) = reminders()
    assert reminder.line == order.lines.get(sku="COFFEE")
    assert (reminder.product, reminder.customer_id) == (coffee, order.customer_id)
    assert reminder.due_at == DELIVERED + timedelta(days=60)  # 2 bags x 30 days
    assert reminder.status == Status.SCHEDULED
    # Scheduling again changes nothing.
    assert replenishment.schedule_reminders() == 0
    assert reminders().count() == 1


def test_undelivered_lines_inactive_consumables_and_unknown_intervals_are_not_scheduled(coffee):
    buy([("COFFEE", 1)])  # not delivered yet
    assert replenishment.schedule_reminders() == 0
    delivered([("COFFEE", 1)])
    ConsumableProduct.objects.update(is_active=False)
    assert replenishment.schedule_reminders() == 0
    ConsumableProduct.objects.update(is_active=True, reorder_interval_days=None)
    assert replenishment.schedule_reminders() == 0  # no interval set, none observed yet
    assert not reminders().exists()


def test_the_observed_interval_is_the_median_days_per_unit_between_reorders(coffee):
    ConsumableProduct.objects.update(reorder_interval_days=None)
    now = timezone.now()

    def bought(email: str, days_ago: int, quantity: int) -> None:
        order = buy([("COFFEE", quantity)], email)
        Order.objects.filter(pk=order.pk).update(created_at=now - timedelta(days=days_ago))

    # Ana: 1 bag, 40 days later 2 bags, 80 days later again: 40 and 40 days a bag.
    bought("ana@example.com", 120, 1)
    bought("ana@example.com", 80, 2)
    bought("ana@example.com", 0, 1)
    # Bia: 1 bag, 20 days later another: 20 days a bag. Carla bought once: no gap.
    bought("bia@example.com", 50, 1)
    bought("bia@example.com", 30, 1)
    bought("carla@example.com", 10, 3)
    assert replenishment.refresh_observed_intervals(now=now) == 1
    consumable = ConsumableProduct.objects.get()
    assert consumable.observed_interval_days == 40  # median of 40, 40, 20
    assert replenishment.refresh_observed_intervals(now=now) == 0
    # The observed figure times the units schedules the reminder.
    order = delivered([("COFFEE", 1)], "dora@example.com")
    replenishment.schedule_reminders()
    reminder = reminders().get(line__order=order)
    assert reminder.due_at == DELIVERED + timedelta(days=40)
    # The admin's figure wins over the observed one.
    ConsumableProduct.objects.update(reorder_interval_days=10)
    later = delivered([("COFFEE", 1)], "eva@example.com")
    replenishment.schedule_reminders()
    assert reminders().get(line__order=later).due_at == DELIVERED + timedelta(days=10)


def test_a_due_reminder_is_sent_once_with_the_product_and_a_reorder_link(coffee, settings):
    settings.OMS_STOREFRONT_URL = "https://shop.example.com"
    order = delivered([("COFFEE", 1)])
    replenishment.schedule_reminders()
    assert replenishment.send_due_reminders(now=DELIVERED + timedelta(days=29)) == {
        "sent": 0,
        "skipped": 0,
    }
    assert not OutboxMessage.objects.filter(event_type="replenishment.reminder").exists()
    due = DELIVERED + timedelta(days=30)
    assert replenishment.send_due_reminders(now=due) == {"sent": 1, "skipped": 0}
    assert replenishment.send_due_reminders(now=due + timedelta(days=1)) == {
        "sent": 0,
        "skipped": 0,
    }
    (message,) = OutboxMessage.objects.filter(event_type="replenishment.reminder")
    assert message.aggregate_id == order.number
    assert message.payload["order"]["email"] == "ana@example.com"
    product = message.payload["event"]["product"]
    assert product == {
        "id": coffee.pk,
        "name": "Coffee beans",
        "sku": "COFFEE",
        "url": "https://shop.example.com/products/coffee/",
    }
    assert message.payload["event"]["quantity"] == 1
    reminder = reminders().get()
    assert (reminder.status, reminder.sent_at) == (Status.SENT, due)
    email = render_email(message)
    assert email.subject == f"Running low on Coffee beans from order {order.number}?"
    assert "https://shop.example.com/products/coffee/" in email.text
    assert "Unsubscribe from reorder reminders" in email.html


def test_the_reminder_email_speaks_portuguese_to_a_portuguese_customer(coffee):
    order = delivered([("COFFEE", 2)])
    Order.objects.filter(pk=order.pk).update(locale="pt-br")
    replenishment.schedule_reminders()
    replenishment.send_due_reminders(now=DELIVERED + timedelta(days=61))
    email = render_email(OutboxMessage.objects.get(event_type="replenishment.reminder"))
    assert "Coffee beans" in email.subject and "Coffee beans" in email.text
    assert '<html lang="pt-br">' in email.html


def skipped_reason(now=DELIVERED + timedelta(days=365)) -> str:
    replenishment.send_due_reminders(now=now)
    assert not OutboxMessage.objects.filter(event_type="replenishment.reminder").exists()
    reminder = reminders().get()
    assert reminder.status == Status.SKIPPED and reminder.sent_at is None
    return reminder.skip_reason


def test_a_customer_who_reordered_since_gets_no_reminder(coffee):
    delivered([("COFFEE", 1)])
    replenishment.schedule_reminders()
    buy([("COFFEE", 1)])  # reordered (not yet delivered)
    assert skipped_reason() == "reordered"


def test_a_cancelled_reorder_does_not_count(coffee):
    delivered([("COFFEE", 1)])
    replenishment.schedule_reminders()
    services.cancel_order(order=buy([("COFFEE", 1)]), actor=ACTOR, reason="oops")
    assert replenishment.send_due_reminders(now=DELIVERED + timedelta(days=31))["sent"] == 1


@pytest.mark.parametrize(
    ("wants_non_essential", "topics", "reason"),
    [
        (False, [], "opted out"),
        (True, ["replenishment"], "opted out: replenishment"),
    ],
)
def test_opted_out_customers_get_no_reminder(coffee, wants_non_essential, topics, reason):
    delivered([("COFFEE", 1)])
    replenishment.schedule_reminders()
    set_preference(
        email="ANA@example.com", wants_non_essential=wants_non_essential, opted_out_topics=topics
    )
    assert skipped_reason() == reason


def test_other_topics_turned_off_do_not_stop_reminders(coffee):
    delivered([("COFFEE", 1)])
    replenishment.schedule_reminders()
    set_preference(
        email="ana@example.com",
        wants_non_essential=True,
        opted_out_topics=["recommendations", "feedback_requests"],
    )
    assert replenishment.send_due_reminders(now=DELIVERED + timedelta(days=31))["sent"] == 1


def test_returned_units_and_withdrawn_consumables_get_no_reminder(coffee):
    order = delivered([("COFFEE", 1)])
    replenishment.schedule_reminders()
    OrderLine.objects.filter(order=order).update(quantity_returned=1)
    assert skipped_reason() == "returned"
    ReplenishmentReminder.objects.update(status=Status.SCHEDULED, skip_reason="")
    OrderLine.objects.filter(order=order).update(quantity_returned=0)
    ConsumableProduct.objects.update(is_active=False)
    assert skipped_reason() == "not_consumable"


def test_a_fully_returned_line_is_not_scheduled(coffee):
    order = delivered([("COFFEE", 1)])
    OrderLine.objects.filter(order=order).update(quantity_returned=1)
    assert replenishment.schedule_reminders() == 0
    assert not reminders().exists()


def test_the_task_schedules_then_sends_and_a_second_run_does_nothing(coffee):
    order = delivered([("COFFEE", 1)])
    ReplenishmentReminder.objects.all().delete()
    # Delivered long enough ago that the reminder is due at once.
    Shipment.objects.filter(order=order).update(delivered_at=timezone.now() - timedelta(days=40))
    assert send_replenishment_reminders.delay().get() == {
        "scheduled": 1,
        "sent": 1,
        "skipped": 0,
    }
    assert send_replenishment_reminders.delay().get() == {
        "scheduled": 0,
        "sent": 0,
        "skipped": 0,
    }
    assert OutboxMessage.objects.filter(event_type="replenishment.reminder").count() == 1


# Per reminder: savepoint, lock, consumable, reorder check, preference, outbox, update,
# release. Each reminder is its own transaction so one failure leaves the others sent.
PER_REMINDER = 8


@pytest.mark.parametrize("count", [2, 6])
def test_sending_due_reminders_takes_a_fixed_number_of_queries_per_reminder(
    coffee, count, django_assert_max_num_queries
):
    for index in range(count):
        delivered([("COFFEE", 1)], f"c{index}@example.com")
    # Scheduling is one statement for the candidates plus the batch insert, at any size.
    with django_assert_max_num_queries(4):
        assert replenishment.schedule_reminders() == count
    with django_assert_max_num_queries(2 + PER_REMINDER * count):
        outcome = replenishment.send_due_reminders(now=DELIVERED + timedelta(days=31))
    assert outcome == {"sent": count, "skipped": 0}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_runs_send_each_reminder_once_on_postgresql(coffee):
    for index in range(3):
        delivered([("COFFEE", 1)], f"c{index}@example.com")
    due = DELIVERED + timedelta(days=31)

    results = race(lambda i: replenishment.send_due_reminders(now=due), 4)

    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(r["sent"] for r in results) == 0  # nothing scheduled yet: schedule first
    results = race(lambda i: replenishment.schedule_reminders(), 4)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert reminders().count() == 3
    results = race(lambda i: replenishment.send_due_reminders(now=due), 4)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(r["sent"] for r in results) == 3
    assert OutboxMessage.objects.filter(event_type="replenishment.reminder").count() == 3
    assert set(reminders().values_list("status", flat=True)) == {Status.SENT}


def test_the_command_schedules_and_sends_due_reminders(coffee):
    delivered([("COFFEE", 1)])
    out = io.StringIO()
    at = (DELIVERED + timedelta(days=31)).isoformat()
    call_command("recommend", "--remind", "--at", at, stdout=out)
    assert "1 reminder(s) scheduled, 1 sent, 0 not sent." in out.getvalue()
    assert OutboxMessage.objects.filter(event_type="replenishment.reminder").count() == 1
