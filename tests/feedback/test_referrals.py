"""Referrals: a code per customer; a new customer's first order recorded with a friend's code;
both rewarded with store credit exactly once, only after that first order is delivered, never
for a self-referral; void when the first order is cancelled or comes back whole; the API the
storefront calls at checkout, the landing link, the reward email and the customer 360 panel."""

import itertools
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client

from feedback.models import Referral, ReferralCode, ReferralReward
from feedback.services import referrals
from feedback.services.referrals import ALPHABET, CODE_LENGTH, ReferralRefused
from notifications.models import OutboxMessage
from notifications.rendering import render_email
from oms.exceptions import Conflict, NotFound
from orders import services
from orders.models import Order, OrderEvent
from returns.models import StoreCreditEntry
from tests.factories import ADDRESS, StockFactory, VariantFactory, WarehouseFactory
from tests.feedback.concurrency import race
from tests.orders.builders import ACTOR, deliver, order_input, ship

pytestmark = pytest.mark.django_db

_tracking = itertools.count(1)
ELSEWHERE = {
    "name": "Bruno Lima",
    "line1": "Avenida Paulista 900",
    "city": "São Paulo",
    "region": "SP",
    "postal_code": "01310-100",
    "country": "BR",
}


@pytest.fixture
def store(db):
    warehouse = WarehouseFactory(code="MAIN")
    for sku in ("REF-1", "REF-2"):
        StockFactory(variant=VariantFactory(sku=sku), warehouse=warehouse, on_hand=500)
    return ReferralReward.objects.create(
        currency="USD", referrer_amount=Decimal("10.00"), friend_amount=Decimal("5.00")
    )


def place(email: str, *, name: str = "Bruno Lima", address: dict = ELSEWHERE) -> Order:
    data = order_input(
        [("REF-1", 1)],
        customer=services.CustomerInput(email=email, name=name),
        shipping_address=address,
    )
    return services.place_order(data=data, actor=ACTOR)


def deliver_all(order: Order) -> Order:
    for shipment in order.shipments.all():
        number = next(_tracking)
        deliver(ship(shipment, f"REF-{number}"), f"ref-dlv-{number}")
    order.refresh_from_db()
    assert order.status == Order.Status.DELIVERED
    return order


@pytest.fixture
def referrer(store):
    """Ana, a customer who ordered once, and her code."""
    order = place("ana.souza@example.com", name="Ana Souza", address=ADDRESS)
    return referrals.code_for(order.customer)


def credits():
    return list(
        StoreCreditEntry.objects.filter(kind=StoreCreditEntry.Kind.REFERRAL)
        .order_by("reference")
        .values_list("reference", "customer__email", "amount", "currency")
    )


def rewarded_messages():
    return list(
        OutboxMessage.objects.filter(event_type="referral.rewarded").order_by("created_at", "pk")
    )


def nothing_recorded():
    assert not Referral.objects.exists()
    assert not OrderEvent.objects.filter(reason="referral recorded").exists()


# Codes ---------------------------------------------------------------------------------------


def test_a_code_is_made_once_per_customer_from_an_unambiguous_alphabet(store):
    customer = place("ana@example.com").customer
    code = referrals.code_for(customer)

    assert len(code.code) == CODE_LENGTH and set(code.code) <= set(ALPHABET)
    assert not set("01OIL") & set(ALPHABET)
    assert referrals.code_for(customer.pk) == code
    assert ReferralCode.objects.count() == 1
    assert referrals.referral_url(code).endswith(f"/r/{code.code}/")


def test_codes_are_read_whatever_the_case_and_dashes(referrer):
    friend = place("bruno@example.com")
    typed = "-".join([referrer.code[:4].lower(), referrer.code[4:]])
    referral = referrals.record_referral(code=f" {typed} ", order=friend, actor=ACTOR)
    assert referral.code == referrer


# Rewards -------------------------------------------------------------------------------------


def test_both_are_rewarded_once_only_after_the_first_order_is_delivered(referrer):
    friend_order = place("bruno@example.com")
    referral = referrals.record_referral(code=referrer.code, order=friend_order, actor=ACTOR)
    assert (referral.status, referral.first_order) == (Referral.Status.PENDING, friend_order)
    assert OrderEvent.objects.filter(order=friend_order, reason="referral recorded").exists()

    assert referrals.reward_referrals() == {"rewarded": 0, "void": 0, "waiting": 1}
    assert credits() == [] and rewarded_messages() == []

    deliver_all(friend_order)
    assert referrals.reward_referrals() == {"rewarded": 1, "void": 0, "waiting": 0}
    assert referrals.reward_referrals() == {"rewarded": 0, "void": 0, "waiting": 0}

    referral.refresh_from_db()
    assert referral.status == Referral.Status.REWARDED and referral.rewarded_at
    assert credits() == [
        (f"referral:{referral.pk}:friend", "bruno@example.com", Decimal("5.00"), "USD"),
        (f"referral:{referral.pk}:referrer", "ana.souza@example.com", Decimal("10.00"), "USD"),
    ]
    friend_message, referrer_message = rewarded_messages()
    assert friend_message.payload["order"]["email"] == "bruno@example.com"
    assert friend_message.payload["event"]["party"] == "friend"
    assert friend_message.payload["event"]["amount"] == "5.00"
    assert referrer_message.payload["order"]["email"] == "ana.souza@example.com"
    assert referrer_message.payload["event"]["party"] == "referrer"
    assert referrer_message.payload["event"]["other_name"] == "Bruno"
    assert referrer_message.payload["event"]["balance"] == "10.00"
    assert OrderEvent.objects.filter(order=friend_order, reason="referral rewarded").count() == 1


def test_the_task_rewards_once_when_run_twice(referrer):
    from feedback.tasks.referrals import reward_referrals

    friend_order = place("bruno@example.com")
    referrals.record_referral(code=referrer.code, order=friend_order, actor=ACTOR)
    deliver_all(friend_order)

    assert reward_referrals.delay().get()["rewarded"] == 1
    assert reward_referrals.delay().get()["rewarded"] == 0
    assert len(credits()) == 2 and len(rewarded_messages()) == 2


@pytest.mark.django_db(transaction=True)
def test_concurrent_runs_reward_once(referrer):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    friend_order = place("bruno@example.com")
    referrals.record_referral(code=referrer.code, order=friend_order, actor=ACTOR)
    deliver_all(friend_order)
    outcomes = race(lambda _index: referrals.reward_referrals()["rewarded"], 3)
    errors = [outcome for outcome in outcomes if isinstance(outcome, Exception)]
    results = [outcome for outcome in outcomes if not isinstance(outcome, Exception)]

    assert errors == []
    assert sorted(results) == [0, 0, 1]
    assert len(credits()) == 2 and len(rewarded_messages()) == 2


def test_only_the_first_order_counts(referrer):
    first = place("bruno@example.com")
    referrals.record_referral(code=referrer.code, order=first, actor=ACTOR)
    second = deliver_all(place("bruno@example.com"))

    assert second.status == Order.Status.DELIVERED
    assert referrals.reward_referrals()["waiting"] == 1
    assert credits() == []


def test_a_cancelled_first_order_voids_the_referral(referrer):
    order = place("bruno@example.com")
    referral = referrals.record_referral(code=referrer.code, order=order, actor=ACTOR)
    services.cancel_order(order=order, actor=ACTOR, reason="customer asked")

    assert referrals.reward_referrals()["void"] == 1
    referral.refresh_from_db()
    assert (referral.status, referral.void_reason) == ("void", "first_order_cancelled")
    deliver_all(place("bruno@example.com"))  # a later order does not revive it
    assert referrals.reward_referrals() == {"rewarded": 0, "void": 0, "waiting": 0}
    assert credits() == []


def test_a_fully_returned_first_order_voids_the_referral(referrer):
    order = deliver_all(place("bruno@example.com"))
    referral = referrals.record_referral(code=referrer.code, order=order, actor=ACTOR)
    for line in order.lines.all():  # every unit came back (as the returns app records it)
        line.quantity_returned = line.quantity_shipped
        line.save(update_fields=["quantity_returned"])

    assert referrals.reward_referrals()["void"] == 1
    referral.refresh_from_db()
    assert referral.void_reason == "first_order_returned"
    assert credits() == [] and rewarded_messages() == []


def test_no_reward_while_the_currency_has_no_active_rule(referrer, store):
    store.is_active = False
    store.save()
    order = deliver_all(place("bruno@example.com"))
    referrals.record_referral(code=referrer.code, order=order, actor=ACTOR)

    assert referrals.reward_referrals()["waiting"] == 1
    store.is_active = True
    store.save()
    assert referrals.reward_referrals()["rewarded"] == 1


# Refusals -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("email", "address", "reason"),
    [
        ("ana.souza@example.com", ELSEWHERE, "same_customer"),
        ("AnaSouza+friends@Example.com", ELSEWHERE, "same_email"),
        ("a.n.a.souza@example.com", ELSEWHERE, "same_email"),
        (
            "bruno@example.com",
            {**ADDRESS, "line1": "RUA AUGUSTA, 100", "name": "B"},
            "same_address",
        ),
    ],
)
def test_self_referral_is_refused_and_nothing_is_written(referrer, email, address, reason):
    # Ana's own earlier order makes "same customer" also a returning customer: the self check
    # comes first. A new address of hers is still her.
    order = place(email, address=address)
    with pytest.raises(ReferralRefused) as refused:
        referrals.record_referral(code=referrer.code, order=order, actor=ACTOR)

    assert refused.value.code == "self_referral"
    assert refused.value.errors[0]["code"] == reason
    nothing_recorded()
    deliver_all(order)
    assert referrals.reward_referrals() == {"rewarded": 0, "void": 0, "waiting": 0}
    assert credits() == []


def test_a_customer_who_ordered_before_is_refused(referrer):
    place("bruno@example.com")
    second = place("bruno@example.com")

    with pytest.raises(ReferralRefused) as refused:
        referrals.record_referral(code=referrer.code, order=second, actor=ACTOR)
    assert refused.value.code == "not_a_new_customer"
    nothing_recorded()


def test_a_customer_alone_can_be_referred_before_ordering_but_not_after(referrer):
    from orders.models import Customer

    newcomer = Customer.objects.create(name="Carla Dias", email="carla@example.com")
    referral = referrals.record_referral(code=referrer.code, customer=newcomer, actor=ACTOR)
    assert referral.first_order is None

    order = deliver_all(place("carla@example.com", name="Carla Dias"))
    assert referrals.reward_referrals()["rewarded"] == 1
    referral.refresh_from_db()
    assert referral.first_order == order

    returning = place("bruno@example.com").customer
    with pytest.raises(ReferralRefused):
        referrals.record_referral(code=referrer.code, customer=returning, actor=ACTOR)


def test_one_referral_per_new_customer(referrer, store):
    other = referrals.code_for(place("carla@example.com", name="Carla Dias").customer)
    order = place("bruno@example.com")
    first = referrals.record_referral(code=referrer.code, order=order, actor=ACTOR)

    assert referrals.record_referral(code=referrer.code, order=order, actor=ACTOR) == first
    with pytest.raises(Conflict) as conflict:
        referrals.record_referral(code=other.code, order=order, actor=ACTOR)
    assert conflict.value.code == "already_referred"
    assert Referral.objects.count() == 1


def test_an_unknown_code_or_a_cancelled_order_is_refused(referrer):
    order = place("bruno@example.com")
    with pytest.raises(NotFound):
        referrals.record_referral(code="ZZZZZZZZ", order=order, actor=ACTOR)
    services.cancel_order(order=order, actor=ACTOR, reason="changed mind")
    with pytest.raises(ReferralRefused) as refused:
        referrals.record_referral(code=referrer.code, order=order, actor=ACTOR)
    assert refused.value.code == "order_cancelled"
    nothing_recorded()


# API ------------------------------------------------------------------------------------------


def test_api_records_a_referral_idempotently(api, idem, referrer, django_assert_max_num_queries):
    order = place("bruno@example.com")
    headers = idem()
    body = {"code": referrer.code.lower(), "order": order.number}

    with django_assert_max_num_queries(20):
        response = api.post("/api/v1/referrals/", body, format="json", **headers)
    assert response.status_code == 201, response.json()
    assert response.json() | {"created_at": None} == {
        "id": Referral.objects.get().pk,
        "code": referrer.code,
        "order": order.number,
        "status": "pending",
        "created_at": None,
    }
    replay = api.post("/api/v1/referrals/", body, format="json", **headers)
    assert replay.status_code == 201 and replay["Idempotent-Replayed"] == "true"
    assert Referral.objects.count() == 1


@pytest.mark.parametrize("earlier_referrals", [0, 15])
def test_api_query_count_does_not_grow_with_referrals(
    api, idem, referrer, earlier_referrals, django_assert_max_num_queries
):
    for i in range(earlier_referrals):
        referrals.record_referral(
            code=referrer.code, order=place(f"friend{i}@example.com"), actor=ACTOR
        )
    order = place("bruno@example.com")
    with django_assert_max_num_queries(20):
        response = api.post(
            "/api/v1/referrals/",
            {"code": referrer.code, "order": order.number},
            format="json",
            **idem(),
        )
    assert response.status_code == 201
    with django_assert_max_num_queries(8):
        response = api.get("/api/v1/referrals/code/", {"email": "ANA.SOUZA@example.com"})
    assert response.status_code == 200
    assert response.json()["code"] == referrer.code
    assert response.json()["referrals"] == {
        "pending": earlier_referrals + 1,
        "rewarded": 0,
        "void": 0,
    }
    assert response.json()["url"].endswith(f"/r/{referrer.code}/")


def test_api_refusals_are_problems_and_write_nothing(api, idem, referrer):
    own = Order.objects.get(email="ana.souza@example.com")
    response = api.post(
        "/api/v1/referrals/", {"code": referrer.code, "order": own.number}, format="json", **idem()
    )
    assert response.status_code == 422
    assert response["Content-Type"].startswith("application/problem+json")
    assert response.json()["code"] == "self_referral"

    friend = place("bruno@example.com")
    unknown = api.post(
        "/api/v1/referrals/", {"code": "ZZZZ2222", "order": friend.number}, format="json", **idem()
    )
    assert (unknown.status_code, unknown.json()["code"]) == (404, "referral_code_not_found")
    no_order = api.post(
        "/api/v1/referrals/", {"code": referrer.code, "order": "999999"}, format="json", **idem()
    )
    assert no_order.status_code == 404
    missing_key = api.post(
        "/api/v1/referrals/", {"code": referrer.code, "order": friend.number}, format="json"
    )
    assert missing_key.status_code == 400
    assert api.get("/api/v1/referrals/code/", {"email": "nobody@example.com"}).status_code == 404
    nothing_recorded()


def test_api_needs_its_scopes(referrer):
    from rest_framework.test import APIClient

    from tests.factories import make_api_client

    _client, token = make_api_client(scopes=["feedback:read"])
    reader = APIClient()
    reader.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    order = place("bruno@example.com")
    response = reader.post(
        "/api/v1/referrals/",
        {"code": referrer.code, "order": order.number},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k1",
    )
    assert response.status_code == 403
    assert (
        reader.get("/api/v1/referrals/code/", {"email": "ana.souza@example.com"}).status_code == 403
    )
    nothing_recorded()


# Landing, email, console ----------------------------------------------------------------------


@pytest.mark.parametrize("other_codes", [0, 20])
def test_landing_redirects_to_the_storefront_with_the_code(
    client, referrer, settings, other_codes, django_assert_max_num_queries
):
    for i in range(other_codes):
        referrals.code_for(place(f"other{i}@example.com").customer)
    settings.OMS_STOREFRONT_URL = "https://shop.example.com/"

    with django_assert_max_num_queries(1):
        response = client.get(f"/r/{referrer.code.lower()}/")
    assert response.status_code == 302
    assert response["Location"] == f"https://shop.example.com/?ref={referrer.code}"
    assert response["X-Robots-Tag"] == "noindex"


def test_landing_without_a_storefront_shows_the_code_and_unknown_codes_are_404(
    client, referrer, settings
):
    settings.OMS_STOREFRONT_URL = ""
    response = client.get(f"/r/{referrer.code}/", HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert response.status_code == 200
    assert referrer.code in html and "Ana invited you" in html
    assert "souza" not in html.lower()  # the first name only

    unknown = client.get("/r/NOPE2345/")
    assert unknown.status_code == 404
    assert "This invitation link does not work" in unknown.content.decode()


@pytest.mark.parametrize("locale", ["en", "pt-br"])
def test_the_reward_email_renders_with_the_recipients_own_link(referrer, locale):
    order = place("bruno@example.com")
    Order.objects.filter(pk=order.pk).update(locale=locale)
    referrals.record_referral(code=referrer.code, order=order, actor=ACTOR)
    deliver_all(order)
    referrals.reward_referrals()

    friend_message, referrer_message = rewarded_messages()
    email = render_email(friend_message)
    friend_code = ReferralCode.objects.get(customer=order.customer).code
    assert f"/r/{friend_code}/" in email.text and f"/r/{friend_code}/" in email.html
    assert "5.00" in email.subject or "5,00" in email.subject
    referrer_email = render_email(referrer_message)
    assert f"/r/{referrer.code}/" in referrer_email.text
    assert "Bruno" in referrer_email.text


def test_the_delivered_email_context_carries_the_referral_link(referrer):
    order = deliver_all(place("bruno@example.com"))
    message = OutboxMessage.objects.filter(
        event_type="shipment.delivered", aggregate_id=order.number
    ).first() or OutboxMessage(
        event_type="shipment.delivered", payload={"order": {"number": order.number}}
    )
    context = referrals.email_context(message)
    code = ReferralCode.objects.get(customer=order.customer).code
    assert context["referral_url"].endswith(f"/r/{code}/")
    assert referrals.email_context(OutboxMessage(event_type="order.confirmed", payload={})) == {}


def test_customer_360_shows_the_referral_panel(referrer):
    from django.contrib.auth.models import Group, User

    friend = place("bruno@example.com")
    referrals.record_referral(code=referrer.code, order=friend, actor=ACTOR)
    agent = User.objects.create_user("agent-ref")
    agent.groups.add(Group.objects.get(name="agent"))
    client = Client()
    client.force_login(agent)

    page = client.get(f"/console/customers/{referrer.customer_id}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert referrer.code in html and 'data-panel="referrals"' in html
    friend_page = client.get(f"/console/customers/{friend.customer_id}/").content.decode()
    assert f"Referred by Ana Souza (code {referrer.code})" in friend_page


@pytest.mark.parametrize("friends", [0, 12])
def test_the_360_panel_reads_in_one_query_and_makes_nothing(
    referrer, friends, django_assert_num_queries
):
    from feedback.referral_wiring import customer_panel

    for i in range(friends):
        referrals.record_referral(
            code=referrer.code, order=place(f"friend{i}@example.com"), actor=ACTOR
        )
    customer = referrer.customer
    with django_assert_num_queries(1):
        panel = customer_panel(customer, None)
    assert panel["code"] == referrer.code
    assert panel["referrals"] == {"pending": friends, "rewarded": 0, "void": 0}
    assert panel["referred_by"] is None

    newcomer = place("carla@example.com", name="Carla Dias").customer
    with django_assert_num_queries(1):
        empty = customer_panel(newcomer, None)
    assert (empty["code"], empty["url"]) == ("", "")
    assert not ReferralCode.objects.filter(customer=newcomer).exists()


def test_the_delivered_email_footer_carries_the_customers_own_link(store):
    order = deliver_all(place("bruno@example.com"))
    message = OutboxMessage.objects.filter(
        event_type="shipment.delivered", aggregate_id=order.number
    ).first()
    if message is None:  # shipment events are aggregated by shipment number
        message = OutboxMessage.objects.filter(
            event_type="shipment.delivered", payload__order__number=order.number
        ).first()

    email = render_email(message)
    code = ReferralCode.objects.get(customer=order.customer).code
    assert f"/r/{code}/" in email.text and f"/r/{code}/" in email.html
    assert "you both get store credit" in email.text
