"""Assisted order placement through the console: a rep finds or creates the customer, adds SKUs
seeing live stock, picks shipping, may give a discount within their authority, and pays with a
saved method or sends a payment link. Refusals create nothing."""

import re
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, User
from django.core import mail
from django.urls import reverse

from notifications.models import OutboxMessage
from oms.actors import Actor
from orders.models import (
    Address,
    Customer,
    Order,
    OrderAdjustment,
    OrderEvent,
    Payment,
    SandboxCharge,
    SavedPaymentMethod,
)
from orders.services import adjust_stock
from orders.services.payment_links import order_number_from_payment_token
from returns import selectors as return_selectors
from returns.models import StoreCreditEntry
from returns.services import store_credit
from support.models import AuthorityRule, Case, CaseEvent
from support.services.placement import spread_discount
from tests.factories import CustomerFactory, StockFactory, VariantFactory, WarehouseFactory
from tests.support.money_actions import ensure_roles

pytestmark = pytest.mark.django_db

NEW = reverse("console:order-new")
QUOTE = reverse("console:order-new-quote")


def make_user(username: str, *groups: str) -> User:
    ensure_roles()  # a transactional test elsewhere may have flushed the seeded roles
    user = User.objects.create_user(username, password="x", is_staff=True)
    user.groups.add(*Group.objects.filter(name__in=groups))
    return user


@pytest.fixture
def agent(client) -> User:
    user = make_user("maria", "agent")
    client.force_login(user)
    return user


@pytest.fixture
def catalog(db) -> dict:
    """TEE-M ($25): 5 at EAST and 5 at WEST (1 of them promised elsewhere); MUG ($12.50): 4 at
    WEST; LAMP: stock only in a closed warehouse."""
    east = WarehouseFactory(code="EAST", name="East DC", priority=10)
    west = WarehouseFactory(code="WEST", name="West DC", priority=20)
    closed = WarehouseFactory(code="OLD", name="Old DC", priority=5)
    closed.is_active = False
    closed.save()
    tee = VariantFactory(sku="TEE-M", name="Tee / M", price=Decimal("25.00"))
    mug = VariantFactory(sku="MUG-1", name="Mug", price=Decimal("12.50"))
    lamp = VariantFactory(sku="LAMP-1", name="Lamp", price=Decimal("40.00"))
    StockFactory(variant=tee, warehouse=east, on_hand=5)
    StockFactory(variant=tee, warehouse=west, on_hand=5, allocated=1)
    StockFactory(variant=mug, warehouse=west, on_hand=4)
    StockFactory(variant=lamp, warehouse=closed, on_hand=9)
    return {"tee": tee, "mug": mug, "lamp": lamp}


@pytest.fixture
def customer(db) -> Customer:
    customer = CustomerFactory(name="Ana Souza", email="ana@example.com", phone="+15551234567")
    Address.objects.create(
        customer=customer,
        name="Ana Souza",
        line1="1 Main St",
        city="Springfield",
        region="IL",
        postal_code="62701",
        country="US",
        is_default=True,
    )
    SavedPaymentMethod.objects.create(
        customer=customer,
        gateway="sandbox",
        token="tok_4242424242424242",
        label="Visa •••• 4242",
        is_default=True,
    )
    return customer


def form(customer: Customer | None = None, **overrides) -> dict:
    """A complete post of the screen: TEE-M x 2 and MUG-1 x 1, standard shipping."""
    data = {
        "intent": "place",
        "currency": "USD",
        "line_sku": ["TEE-M", "MUG-1"],
        "line_quantity": ["2", "1"],
        "shipping_method": "standard",
        "discount_kind": "amount",
    }
    if customer is not None:
        address = customer.addresses.get()
        method = customer.saved_payment_methods.filter(is_default=True).first()
        data |= {
            "customer": str(customer.pk),
            "address": str(address.pk),
            "payment": str(method.pk) if method else "link",
        }
    data.update(overrides)
    return data


def quote_total(client, data: dict) -> Decimal:
    """The total the live quote shows, e.g. $70.40."""
    response = client.post(QUOTE, data)
    assert response.status_code == 200
    shown = re.search(r'id="quote-total">([^<]+)<', response.content.decode()).group(1)
    return Decimal(shown.removeprefix("$").replace(",", ""))


def nothing_created() -> None:
    assert Order.objects.count() == 0
    assert OutboxMessage.objects.count() == 0
    assert OrderAdjustment.objects.count() == 0
    assert SandboxCharge.objects.count() == 0


# --- The screen ----------------------------------------------------------------------------


def test_the_screen_preselects_the_customer_with_their_address_and_saved_method(
    client, agent, customer, catalog, django_assert_max_num_queries
):
    with django_assert_max_num_queries(16):
        response = client.get(f"{NEW}?customer={customer.pk}")
    page = response.content.decode()
    assert response.status_code == 200
    assert "Ana Souza" in page and 'id="chosen-customer"' in page
    address = customer.addresses.get()
    method = customer.saved_payment_methods.get()
    assert f'name="address" value="{address.pk}" checked' in page
    assert f'name="payment" value="{method.pk}" checked' in page
    assert "Visa •••• 4242" in page
    assert "Your authority: up to $25.00" in page  # the agent's price-adjustment limit


def test_the_screen_and_its_quote_cost_the_same_queries_for_2_or_12_lines(
    client, agent, catalog, customer
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    east = catalog["tee"].stock.first().warehouse
    skus = [StockFactory(warehouse=east, variant=VariantFactory()).variant.sku for _ in range(10)]
    counts = []
    for line_skus in (["TEE-M", "MUG-1"], ["TEE-M", "MUG-1", *skus]):
        data = form(customer, intent="", line_sku=line_skus, line_quantity=["1"] * len(line_skus))
        with CaptureQueriesContext(connection) as screen:
            assert client.post(NEW, data).status_code == 200
        with CaptureQueriesContext(connection) as quote:
            response = client.post(QUOTE, data)
        assert (
            f'id="line-amount-{len(line_skus) - 1}" hx-swap-oob="true"' in response.content.decode()
        )
        counts.append((len(screen), len(quote)))
    assert counts[0] == counts[1], counts


def test_customer_search_finds_by_email_name_or_phone_and_is_bounded(
    client, agent, customer, django_assert_max_num_queries
):
    CustomerFactory.create_batch(12, name="Ana Lima")
    url = reverse("console:order-new-customers")
    for query in ("ana@exa", "souza", "5551234"):
        with django_assert_max_num_queries(7):
            page = client.get(url, {"q": query}).content.decode()
        assert "ana@example.com" in page, query
    assert client.get(url, {"q": "ana"}).content.decode().count('name="select_customer"') == 8
    assert 'name="select_customer"' not in client.get(url, {"q": "a"}).content.decode()


def test_sku_search_shows_price_and_live_stock_per_active_warehouse(
    client, agent, catalog, django_assert_max_num_queries
):
    url = reverse("console:order-new-skus")
    with django_assert_max_num_queries(8):
        page = client.get(url, {"q": "tee", "currency": "USD"}).content.decode()
    assert "TEE-M" in page and "$25.00" in page
    # on hand - allocated, per warehouse: EAST 5, WEST 5 - 1
    assert re.search(r"EAST</span> 5<", page) and re.search(r"WEST</span> 4<", page)
    assert "9 available" in page and "OLD" not in page
    lamp = client.get(url, {"q": "LAMP", "currency": "USD"}).content.decode()
    assert "0 available" in lamp and "disabled" in lamp  # stock only in a closed warehouse
    assert "TEE-M" not in client.get(url, {"q": "tee", "currency": "EUR"}).content.decode()


def test_adding_lines_merges_a_sku_and_removing_drops_it(client, agent, catalog, customer):
    data = form(customer, intent="", add_sku="TEE-M", add_quantity="3")
    page = client.post(NEW, data).content.decode()
    assert page.count('name="line_sku"') == 2
    assert 'name="line_quantity" value="5"' in page  # 2 + 3
    assert "Only 9 available." not in page
    data = form(customer, intent="", remove_line="0")
    page = client.post(NEW, data).content.decode()
    assert 'value="TEE-M"' not in page and 'value="MUG-1"' in page
    assert Order.objects.count() == 0


def test_selecting_a_customer_brings_their_defaults_and_htmx_gets_only_the_form(
    client, agent, catalog, customer
):
    response = client.post(
        NEW, {"select_customer": str(customer.pk), "currency": "USD"}, HTTP_HX_REQUEST="true"
    )
    page = response.content.decode()
    assert page.lstrip().startswith('<form id="order-form"')
    assert f'name="customer" value="{customer.pk}"' in page
    assert 'id="chosen-customer"' in page


# --- Placing -------------------------------------------------------------------------------


def test_saved_method_places_a_confirmed_csr_order_by_the_rep_at_the_quoted_total(
    client, agent, catalog, customer
):
    data = form(customer)
    quoted = quote_total(client, data)
    assert quoted == Decimal("70.40")  # 2 x 25.00 + 12.50 + 7.90 shipping
    response = client.post(NEW, data)
    order = Order.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("console:order-detail", args=[order.number])
    assert order.status == Order.Status.CONFIRMED
    assert order.channel == Order.Channel.CSR
    assert (order.placed_by_kind, order.placed_by_user, order.placed_by_label) == (
        "staff",
        agent,
        "maria",
    )
    assert order.customer == customer
    assert order.shipping_address["line1"] == "1 Main St"
    assert order.total == quoted
    payment = Payment.objects.get(order=order)
    assert (payment.status, payment.method_label) == ("authorized", "Visa •••• 4242")
    assert not OutboxMessage.objects.filter(event_type="order.payment_requested").exists()


def test_htmx_placement_redirects_the_browser_to_the_order_page(client, agent, catalog, customer):
    response = client.post(NEW, form(customer), HTTP_HX_REQUEST="true")
    order = Order.objects.get()
    assert response["HX-Redirect"] == reverse("console:order-detail", args=[order.number])


def test_payment_link_places_a_pending_order_and_emails_one_working_link(
    client, agent, catalog, customer, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(NEW, form(customer, payment="link"))
    order = Order.objects.get()
    assert response.status_code == 302
    assert order.status == Order.Status.PENDING_PAYMENT
    assert order.allocations.filter(quantity__gt=0).count() >= 2  # stock stays reserved
    assert not Payment.objects.exists()
    (message,) = OutboxMessage.objects.filter(event_type="order.payment_requested")
    url = message.payload["event"]["payment_url"]
    token = url.rstrip("/").rsplit("/", 1)[1]
    assert order_number_from_payment_token(token) == order.number
    assert [line["sku"] for line in message.payload["event"]["lines"]] == ["TEE-M", "MUG-1"]
    (email,) = [m for m in mail.outbox if "payment" in m.subject.lower()]
    assert email.to == ["ana@example.com"] and url in email.body and "70.40" in email.body
    page = client.get(url.split("127.0.0.1:8000", 1)[-1])
    assert page.status_code == 200 and order.number in page.content.decode()
    assert OrderEvent.objects.filter(order=order, type="payment_link_sent").count() == 1


def test_a_new_customer_entered_inline_is_created_with_the_order(client, agent, catalog):
    data = form(
        new_name="Bruno Alves",
        new_email="Bruno@Example.com",
        new_phone="+5511999990000",
        new_locale="pt-br",
        new_country="BR",
        address="new",
        ship_name="Bruno Alves",
        ship_line1="Rua Augusta 100",
        ship_city="São Paulo",
        ship_region="SP",
        ship_postal_code="01305-000",
        ship_country="br",
        payment="link",
    )
    assert client.post(NEW, data).status_code == 302
    order = Order.objects.get()
    assert (order.customer.name, order.customer.email, order.customer.locale) == (
        "Bruno Alves",
        "bruno@example.com",
        "pt-br",
    )
    assert order.shipping_address["country"] == "BR"
    assert order.customer.addresses.get().line1 == "Rua Augusta 100"


def test_declined_saved_method_shows_the_decline_and_leaves_no_active_order(
    client, agent, catalog, customer
):
    declining = SavedPaymentMethod.objects.create(
        customer=customer, gateway="sandbox", token="tok_4000000000000002", label="Visa •••• 0002"
    )
    response = client.post(NEW, form(customer, payment=str(declining.pk)))
    assert response.status_code == 402
    page = response.content.decode()
    assert "The card was declined." in page and 'id="payment-error"' in page
    assert not Order.objects.exclude(status=Order.Status.CANCELLED).exists()
    assert sum(stock.allocated for stock in catalog["tee"].stock.all()) == 1  # released again
    assert not OutboxMessage.objects.filter(
        event_type__in=["order.confirmed", "order.payment_requested", "order.cancelled"],
        payload__event__notify_customer=True,
    ).exists()


def give_credit(customer: Customer, amount: str, currency: str = "USD") -> None:
    store_credit.issue_credit(
        customer=customer,
        amount=amount,
        currency=currency,
        kind=StoreCreditEntry.Kind.GOODWILL,
        reference=f"welcome-{currency}",
        reason="welcome",
        actor=Actor.system("test"),
    )


def test_store_credit_is_offered_with_its_balance_and_pays_the_whole_order(
    client, agent, catalog, customer
):
    give_credit(customer, "100.00")
    page = client.get(f"{NEW}?customer={customer.pk}").content.decode()
    assert "Store credit (balance $100.00)" in page
    assert 'name="payment" value="store_credit"' in page

    response = client.post(NEW, form(customer, payment="store_credit"))

    assert response.status_code == 302
    order = Order.objects.get()
    assert (order.status, order.total) == (Order.Status.CONFIRMED, Decimal("70.40"))
    payment = Payment.objects.get(order=order)
    assert (payment.gateway, payment.status, payment.amount_captured) == (
        "store_credit",
        Payment.Status.CAPTURED,
        Decimal("70.40"),
    )
    assert return_selectors.balance(customer, "USD") == Decimal("29.60")
    debit = StoreCreditEntry.objects.get(kind=StoreCreditEntry.Kind.PAYMENT)
    assert (debit.amount, debit.order) == (Decimal("-70.40"), order)


def test_store_credit_is_offered_only_with_a_balance_in_the_orders_currency(
    client, agent, catalog, customer
):
    give_credit(customer, "100.00", currency="BRL")
    page = client.get(f"{NEW}?customer={customer.pk}").content.decode()
    assert 'value="store_credit"' not in page  # USD: nothing to spend
    brl = form(customer, intent="", currency="BRL", line_sku=[], line_quantity=[])
    assert "Store credit (balance R$" in client.post(NEW, brl).content.decode()


def test_store_credit_short_of_the_total_is_a_form_error_and_places_nothing(
    client, agent, catalog, customer
):
    give_credit(customer, "50.00")

    response = client.post(NEW, form(customer, payment="store_credit"))

    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="payment-error"' in page
    assert "store credit (50.00 USD) does not cover the total of 70.40 USD" in page
    assert 'name="payment" value="store_credit" checked' in page  # the rep's choice stays
    nothing_created()
    assert return_selectors.balance(customer, "USD") == Decimal("50.00")
    assert not StoreCreditEntry.objects.filter(kind=StoreCreditEntry.Kind.PAYMENT).exists()


def test_someone_elses_saved_method_cannot_be_charged(client, agent, catalog, customer):
    stranger = CustomerFactory()
    theirs = SavedPaymentMethod.objects.create(
        customer=stranger, gateway="sandbox", token="tok_4242424242424242", label="Visa •••• 4242"
    )
    response = client.post(NEW, form(customer, payment=str(theirs.pk)))
    assert response.status_code == 400
    assert "saved payment methods" in response.content.decode()
    nothing_created()


def test_discount_within_authority_is_spread_applied_and_recorded(client, agent, catalog, customer):
    data = form(
        customer,
        discount_value="10",
        discount_kind="percent",
        discount_reason="service_recovery",
        discount_note="Late last order",
    )
    quoted = quote_total(client, data)
    assert client.post(NEW, data).status_code == 302
    order = Order.objects.get()
    assert order.total == quoted == Decimal("64.15")  # 62.50 - 6.25 + 7.90
    lines = {line.sku: line for line in order.lines.all()}
    assert (lines["TEE-M"].discount, lines["MUG-1"].discount) == (Decimal("5.00"), Decimal("1.25"))
    adjustments = list(OrderAdjustment.objects.filter(order=order).order_by("line__line_number"))
    assert [a.amount for a in adjustments] == [Decimal("5.00"), Decimal("1.25")]
    assert {
        (a.kind, a.reason_code, a.note, a.percentage, a.actor_user_id) for a in adjustments
    } == {("price_adjustment", "service_recovery", "Late last order", Decimal("10.00"), agent.pk)}
    assert order.discount_total == Decimal("6.25") and order.order_discount == 0
    event = OrderEvent.objects.get(order=order, type="adjusted")
    assert event.data["at_placement"] is True and event.reason == "service_recovery"


def test_discount_above_authority_is_refused_and_nothing_is_created(
    client, agent, catalog, customer
):
    data = form(
        customer, discount_value="30.00", discount_reason="price_match", discount_note="Competitor"
    )
    response = client.post(NEW, data)
    assert response.status_code == 403
    assert (
        "Above your authority (limit 25.00 USD): place the order without the discount and "
        "request an adjustment." in response.content.decode()
    )
    nothing_created()
    assert "above your authority" in client.post(QUOTE, data).content.decode()


def test_a_supervisor_may_give_more_and_no_rule_means_no_discount(client, catalog, customer):
    boss = make_user("sofia", "supervisor")
    client.force_login(boss)
    data = form(
        customer, discount_value="30.00", discount_reason="price_match", discount_note="Match"
    )
    assert client.post(NEW, data).status_code == 302
    AuthorityRule.objects.filter(currency="USD", action="price_adjustment").delete()
    response = client.post(NEW, data)
    assert response.status_code == 403 and "limit 0.00 USD" in response.content.decode()
    assert Order.objects.count() == 1


@pytest.mark.parametrize(
    ("value", "kind", "message"),
    [
        ("62.51", "amount", "The discount is larger than the items."),
        ("120", "percent", "A percentage is from 0 to 100."),
        ("1.005", "amount", "USD has 2 decimals."),
    ],
)
def test_an_impossible_discount_is_refused(client, agent, catalog, customer, value, kind, message):
    boss = make_user("sofia", "admin")
    client.force_login(boss)
    data = form(
        customer,
        discount_value=value,
        discount_kind=kind,
        discount_reason="other",
        discount_note="Test",
    )
    response = client.post(NEW, data)
    assert response.status_code == 400 and message in response.content.decode()
    nothing_created()


def test_a_gateway_outage_places_nothing_and_says_so(client, agent, catalog, customer):
    failing = SavedPaymentMethod.objects.create(
        customer=customer, gateway="sandbox", token="tok_4000000000000119", label="Visa •••• 0119"
    )
    response = client.post(NEW, form(customer, payment=str(failing.pk)))
    assert response.status_code == 400
    assert "The payment gateway did not answer" in response.content.decode()
    assert not Order.objects.exclude(status=Order.Status.CANCELLED).exists()


def test_a_discount_needs_a_reason_and_a_note(client, agent, catalog, customer):
    response = client.post(NEW, form(customer, discount_value="5"))
    page = response.content.decode()
    assert response.status_code == 400
    assert "Give a reason for the discount." in page and "Add a note for the discount." in page
    nothing_created()


def test_bad_input_shows_field_errors_and_creates_nothing(client, agent, catalog):
    response = client.post(
        NEW,
        form(
            new_email="not-an-email",
            line_sku=["TEE-M", "NOPE-1"],
            line_quantity=["2", "1"],
            shipping_method="",
        ),
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert 'id="id_new_name-errors"' in page and 'id="id_new_email-errors"' in page
    assert 'id="id_ship_line1-errors"' in page and "Choose a shipping method." in page
    nothing_created()
    response = client.post(
        NEW,
        form(
            new_name="Bo",
            new_email="bo@example.com",
            address="new",
            ship_name="Bo",
            ship_line1="2 Side St",
            ship_city="Austin",
            ship_postal_code="73301",
            ship_country="US",
            line_sku=["TEE-M", "NOPE-1"],
            line_quantity=["2", "1"],
        ),
    )
    assert response.status_code == 400
    assert "NOPE-1 is not for sale." in response.content.decode()
    nothing_created()
    assert not Customer.objects.filter(email="bo@example.com").exists()


def test_more_than_the_stock_is_refused_on_the_line_and_creates_nothing(
    client, agent, catalog, customer
):
    response = client.post(NEW, form(customer, line_quantity=["10", "1"]))
    assert response.status_code == 400
    assert "Not enough stock: 9 available." in response.content.decode()
    nothing_created()


def test_a_user_without_place_orders_gets_403_everywhere(client, catalog, customer):
    clerk = make_user("clerk", "agent")
    clerk.groups.clear()
    reader = Group.objects.create(name="reader")
    reader.permissions.add(
        *Group.objects.get(name="agent").permissions.exclude(codename="place_orders")
    )
    clerk.groups.add(reader)
    client.force_login(clerk)
    for url in (
        NEW,
        QUOTE,
        reverse("console:order-new-customers"),
        reverse("console:order-new-skus"),
    ):
        assert client.get(url).status_code == 403, url
    assert client.post(NEW, form(customer)).status_code == 403
    nothing_created()


def test_placing_while_working_on_a_case_links_the_order_to_it(client, agent, catalog, customer):
    case = Case.objects.create(
        customer=customer,
        channel="phone",
        reason="other",
        subject="Wants to order by phone",
        opened_at="2026-01-01T10:00Z",
        last_contact_at="2026-01-01T10:00Z",
    )
    session = client.session
    session["console.active_case"] = case.pk
    session.save()
    client.post(NEW, form(customer, payment="link"))
    order = Order.objects.get()
    event = CaseEvent.objects.get(case=case, type="action")
    assert event.order == order and event.data["action"] == "order_placed"
    case.refresh_from_db()
    assert case.order == order


def test_quote_equals_placed_totals_for_every_method_and_discount(client, agent, catalog, customer):
    adjust_stock(
        sku="TEE-M", warehouse_code="EAST", delta=50, reason="receipt", actor=Actor.system("t")
    )
    cases = [
        {"shipping_method": "express", "line_quantity": ["3", "2"]},
        {"shipping_method": "pickup", "discount_value": "7.77", "discount_kind": "amount"},
        {"shipping_method": "next_day", "discount_value": "33.33", "discount_kind": "percent"},
    ]
    for overrides in cases:
        data = form(customer, discount_reason="loyalty", discount_note="Thanks", **overrides)
        quoted = quote_total(client, data)
        assert client.post(NEW, data).status_code == 302, overrides
        order = Order.objects.latest("id")
        assert order.total == quoted, overrides
        assert sum(line.discount for line in order.lines.all()) == order.discount_total


# --- Discount arithmetic -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amounts", "discount", "currency"),
    [
        (["50.00", "12.50"], "6.25", "USD"),
        (["10.00", "10.00", "10.00"], "10.00", "USD"),
        (["0.01", "0.01", "99.98"], "0.05", "USD"),
        (["33.33", "33.33", "33.34"], "100.00", "USD"),
        (["1000", "1"], "7", "JPY"),
        (["19.90"], "19.90", "BRL"),
    ],
)
def test_a_spread_discount_adds_up_exactly_and_never_exceeds_a_line(amounts, discount, currency):
    amounts = [Decimal(a) for a in amounts]
    shares = spread_discount(amounts, Decimal(discount), currency)
    assert sum(shares) == Decimal(discount)
    assert all(0 <= share <= amount for share, amount in zip(shares, amounts, strict=True))
    assert all(
        share == share.quantize(Decimal(1).scaleb(-2 if currency != "JPY" else 0))
        for share in shares
    )
