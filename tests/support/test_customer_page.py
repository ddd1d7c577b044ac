"""Customer 360: the profile, lifetime value per currency, every order (capped, with "show
all"), cases with first-contact resolution, messages sent, store credit and the flags a rep
should see first; in a fixed number of queries for a customer with 200 orders."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse
from django.utils import timezone

from notifications.models import Delivery, OutboxMessage
from oms.actors import Actor
from orders import services
from orders.models import Address, Customer, Order, SavedPaymentMethod
from returns.models import StoreCreditEntry
from support.models import Case
from support.selectors.customers import ORDERS_SHOWN, get_customer_360
from tests.factories import StockFactory, VariantFactory, WarehouseFactory
from tests.orders.builders import ACTOR, order_input

pytestmark = pytest.mark.django_db
ANA = services.CustomerInput(
    email="ana@example.com", name="Ana Souza", phone="+5511987654321", locale="pt-br", country="BR"
)


@pytest.fixture
def agent(client):
    user = User.objects.create_user("agent-360", password="x", is_staff=True)
    user.groups.add(Group.objects.get(name="agent"))
    client.force_login(user)
    return user


@pytest.fixture
def sku(db):
    variant = VariantFactory(sku="MUG-1", price=Decimal("25.00"))
    StockFactory(variant=variant, warehouse=WarehouseFactory(code="EAST"), on_hand=500)
    return variant.sku


def place(sku: str, quantity: int = 1, **overrides) -> Order:
    return services.place_order(
        data=order_input([(sku, quantity)], customer=ANA, **overrides), actor=ACTOR
    )


def clone_orders(order: Order, count: int) -> None:
    """`count` more orders like `order` for the same customer, written in one statement."""
    copies = []
    for index in range(count):
        copy = Order.objects.get(pk=order.pk)
        copy.pk, copy.number = None, f"9{index:05d}"
        copies.append(copy)
    Order.objects.bulk_create(copies)


def add_case(customer, *, days_ago: int, status=Case.Status.OPEN, order=None, subject="Help"):
    opened = timezone.now() - timedelta(days=days_ago)
    return Case.objects.create(
        customer=customer,
        order=order,
        channel=Case.Channel.EMAIL,
        reason=Case.Reason.DELAY,
        subject=subject,
        status=status,
        opened_at=opened,
        last_contact_at=opened,
        resolved_at=opened if status == Case.Status.RESOLVED else None,
    )


def send_email(about: str, key: str, subject: str, event: str = "order.created") -> Delivery:
    message = OutboxMessage.objects.create(
        event_type=event, aggregate_type=about, aggregate_id=key, payload={}
    )
    return Delivery.objects.create(
        message=message,
        channel=Delivery.Channel.EMAIL,
        target="ana@example.com",
        event_type=message.event_type,
        aggregate_type=about,
        aggregate_id=key,
        status=Delivery.Status.SENT,
        next_attempt_at=timezone.now(),
        detail=subject,
    )


@pytest.fixture
def ana(sku):
    """Ana: two USD orders (one cancelled), one EUR order, a saved card, cases, credit."""
    first = place(sku, 2)
    cancelled = place(sku, 1)
    services.cancel_order(order=cancelled, actor=ACTOR, reason="Changed her mind")
    euro_variant = VariantFactory(sku="MUG-EU", price=Decimal("30.00"), currency="EUR")
    StockFactory(variant=euro_variant, warehouse=WarehouseFactory(code="EAST"), on_hand=5)
    euro = place(euro_variant.sku, 1, currency="EUR")
    customer = Customer.objects.get(email="ana@example.com")
    SavedPaymentMethod.objects.create(
        customer=customer, gateway="sandbox", token="tok_1", label="Visa •••• 4242", is_default=True
    )
    mug_case = add_case(customer, days_ago=2, order=first, subject="Where is my mug")
    add_case(customer, days_ago=40, status=Case.Status.RESOLVED, subject="Old question")
    staff = Actor(kind="staff", label="agent-360")
    StoreCreditEntry.objects.create(
        customer=customer,
        currency="USD",
        amount=Decimal("20.00"),
        kind="goodwill",
        reference="adjustment:1",
        reason="Late delivery",
        order=first,
        **staff.as_fields(),
    )
    StoreCreditEntry.objects.create(
        customer=customer,
        currency="USD",
        amount=Decimal("-7.50"),
        kind="payment",
        reference="order:1",
        **Actor.system().as_fields(),
    )
    send_email("order", first.number, "Your order is confirmed")
    send_email("case", str(mug_case.pk), "How did we do?", "case.survey_requested")
    return {"customer": customer, "first": first, "cancelled": cancelled, "euro": euro}


def test_the_page_shows_the_profile_addresses_and_saved_methods(client, agent, ana):
    customer = ana["customer"]
    response = client.get(reverse("console:customer-detail", args=[customer.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    for text in ("Ana Souza", "ana@example.com", "+5511987654321", "Português (Brasil)", "BR"):
        assert text in html
    assert Address.objects.get(customer=customer).line1 in html
    assert "Visa •••• 4242" in html
    assert "tok_1" not in html  # the vault token never reaches the page


def test_lifetime_value_is_per_currency_and_leaves_out_cancelled_orders(ana):
    view = get_customer_360(ana["customer"].pk)
    values = {value.currency: value.amount for value in view.lifetime_value}
    assert values == {"USD": ana["first"].total, "EUR": ana["euro"].total}
    assert view.order_count == 3
    assert [order.number for order in view.orders] == [
        ana["euro"].number,
        ana["cancelled"].number,
        ana["first"].number,
    ]


def test_store_credit_balance_is_the_ledger_sum_per_currency(client, agent, ana):
    view = get_customer_360(ana["customer"].pk)
    assert [(c.currency, c.amount) for c in view.store_credit] == [("USD", Decimal("12.50"))]
    assert [e.amount for e in view.store_credit_entries] == [Decimal("-7.500"), Decimal("20.000")]
    html = client.get(reverse("console:customer-detail", args=[ana["customer"].pk])).content
    assert "$12.50" in html.decode() and "+$20.00" in html.decode()


def test_cases_show_status_and_first_contact_resolution(client, agent, ana):
    view = get_customer_360(ana["customer"].pk)
    assert [(case.subject, case.status, case.fcr) for case in view.cases] == [
        ("Where is my mug", "open", "open"),
        ("Old question", "resolved", "yes"),
    ]
    html = client.get(reverse("console:customer-detail", args=[ana["customer"].pk])).content
    assert "Where is my mug" in html.decode()


def test_messages_sent_about_the_customers_orders_and_cases_are_listed(client, agent, ana):
    view = get_customer_360(ana["customer"].pk)
    assert [d.detail for d in view.notifications] == ["How did we do?", "Your order is confirmed"]
    html = client.get(reverse("console:customer-detail", args=[ana["customer"].pk])).content
    assert "Your order is confirmed" in html.decode()


def test_flags_for_an_open_case_and_a_recent_cancellation(ana):
    codes = [flag.code for flag in get_customer_360(ana["customer"].pk).flags]
    assert codes == ["open_case", "recent_cancellation"]


def test_flags_for_many_recent_contacts_and_an_order_needing_attention(ana):
    customer = ana["customer"]
    add_case(customer, days_ago=10, status=Case.Status.RESOLVED)
    add_case(customer, days_ago=20, status=Case.Status.RESOLVED)
    Order.objects.filter(pk=ana["first"].pk).update(
        needs_attention=True, attention_at=timezone.now()
    )
    codes = [flag.code for flag in get_customer_360(customer.pk).flags]
    assert codes == ["many_contacts", "open_case", "order_attention", "recent_cancellation"]


def test_a_quiet_customer_has_no_flags(client, agent, sku):
    place(sku)
    customer = Customer.objects.get()
    assert get_customer_360(customer.pk).flags == []
    html = client.get(reverse("console:customer-detail", args=[customer.pk])).content.decode()
    assert "flags-row" not in html


def test_the_actions_open_a_case_or_an_order_for_this_customer(client, agent, ana):
    pk = ana["customer"].pk
    html = client.get(reverse("console:customer-detail", args=[pk])).content.decode()
    assert f'href="{reverse("console:case-new")}?customer={pk}"' in html
    assert f'href="{reverse("console:order-new")}?customer={pk}"' in html


def test_a_customer_with_200_orders_renders_in_a_fixed_number_of_queries(
    client, agent, ana, django_assert_max_num_queries
):
    url = reverse("console:customer-detail", args=[ana["customer"].pk])
    with django_assert_max_num_queries(20) as few:
        client.get(url)
    with django_assert_max_num_queries(20) as few_all:
        client.get(url + "?orders=all")
    clone_orders(ana["first"], 200)
    with django_assert_max_num_queries(len(few.captured_queries)):
        short = client.get(url)
    with django_assert_max_num_queries(len(few_all.captured_queries)):
        full = client.get(url + "?orders=all")
    assert short.status_code == full.status_code == 200
    assert "Show all 203 orders" in short.content.decode()
    assert full.content.decode().count('href="/console/orders/9') == 200
    view = get_customer_360(ana["customer"].pk)
    assert view.order_count == 203 and len(view.orders) == ORDERS_SHOWN


def test_an_unknown_customer_is_not_found(client, agent):
    assert client.get(reverse("console:customer-detail", args=[999999])).status_code == 404
