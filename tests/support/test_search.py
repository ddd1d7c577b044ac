"""The console's search box: one query finds orders by number (exact and prefix), external
reference, email, phone and name, and shipments by tracking number; an exact order or tracking
number puts that order first; htmx gets the dropdown, a plain GET the results page; and every
search costs a fixed, small number of queries."""

import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse

from orders import services
from orders.models import Order
from support.selectors.search import phone_candidates, search
from tests.orders.builders import ACTOR, order_input, ship, split_catalog

pytestmark = pytest.mark.django_db
MAX_SEARCH_QUERIES = 6


@pytest.fixture
def agent(client):
    user = User.objects.create_user("agent-search", password="x", is_staff=True)
    user.groups.add(Group.objects.get(name="agent"))
    client.force_login(user)
    return user


def place(sku: str, *, email: str, name: str, phone: str = "", reference: str = "") -> Order:
    customer = services.CustomerInput(email=email, name=name, phone=phone)
    return services.place_order(
        data=order_input([(sku, 1)], customer=customer, external_reference=reference),
        actor=ACTOR,
    )


@pytest.fixture
def shop(db):
    sku = split_catalog()
    ana = place(sku, email="ana.souza@example.com", name="Ana Souza", phone="+12125550123")
    ana_again = place(sku, email="ana.souza@example.com", name="Ana Souza", reference="SF-777001")
    bob = place(sku, email="bob.stone@example.org", name="Robert Stone", phone="+5511987654321")
    shipment = ship(ana.shipments.get(), "1Z999AA10123456784")
    return {"ana": ana, "ana_again": ana_again, "bob": bob, "shipment": shipment}


def numbers(results) -> list[str]:
    return [order.number for order in results.orders]


def test_an_exact_order_number_is_the_first_result(shop):
    bob = shop["bob"]
    results = search(bob.number)
    assert numbers(results)[0] == bob.number
    assert results.exact_order == bob
    assert search(f"#{bob.number}").exact_order == bob


def test_the_start_of_an_order_number_finds_the_orders_it_begins(shop):
    prefix = shop["ana"].number[:-1]
    found = numbers(search(prefix))
    expected = [o.number for o in Order.objects.filter(number__startswith=prefix)]
    assert set(expected) <= set(found) and found
    assert search(prefix).exact_order is None


def test_an_external_reference_finds_its_order(shop):
    assert numbers(search("SF-777001")) == [shop["ana_again"].number]


def test_an_email_finds_the_customer_and_their_orders_whatever_the_case(shop):
    results = search("Ana.Souza@Example.com")
    assert [c.email for c in results.customers] == ["ana.souza@example.com"]
    assert set(numbers(results)) == {shop["ana"].number, shop["ana_again"].number}
    # Newest first.
    assert numbers(results)[0] == shop["ana_again"].number


def test_part_of_an_email_finds_the_customer_and_their_orders(shop):
    results = search("ana.sou")
    assert [c.name for c in results.customers] == ["Ana Souza"]
    assert shop["ana"].number in numbers(results)
    assert shop["bob"].number not in numbers(results)


@pytest.mark.parametrize(
    "typed", ["(212) 555-0123", "212 555 0123", "+1 212-555-0123", "12125550123"]
)
def test_a_phone_number_is_found_however_it_is_typed(shop, typed):
    assert [c.name for c in search(typed).customers] == ["Ana Souza"]


def test_a_brazilian_mobile_is_found_without_its_country_code(shop):
    assert [c.name for c in search("11 98765-4321").customers] == ["Robert Stone"]


def test_phone_candidates_cover_e164_forms():
    assert "+12125550123" in phone_candidates("2125550123")
    assert "+5511987654321" in phone_candidates("11987654321")


def test_a_name_fragment_finds_customers_case_insensitively(shop):
    results = search("stone")
    assert [c.name for c in results.customers] == ["Robert Stone"]
    assert numbers(results) == [shop["bob"].number]


def test_a_tracking_number_puts_its_order_first_and_lists_the_shipment(shop):
    results = search("1z999aa10123456784")
    assert results.exact_order == shop["ana"]
    assert numbers(results)[0] == shop["ana"].number
    assert [s.tracking_number for s in results.shipments] == ["1Z999AA10123456784"]


def test_too_short_or_unknown_queries_find_nothing(shop):
    assert search("a").is_empty
    assert search("   ").is_empty
    assert search("zzzz-nobody").is_empty


def test_search_is_bounded_whatever_the_number_of_matches(shop, django_assert_max_num_queries):
    sku = split_catalog_more()
    for index in range(12):
        place(sku, email=f"ana.souza{index}@example.com", name=f"Ana Souza {index}")
    for query in ["ana", "ana.souza@example.com", "1Z999AA10123456784", "1000", "212 555 0123"]:
        with django_assert_max_num_queries(MAX_SEARCH_QUERIES):
            results = search(query)
        assert len(results.orders) <= 6 and len(results.customers) <= 6


def split_catalog_more() -> str:
    from tests.factories import StockFactory, VariantFactory, WarehouseFactory

    variant = VariantFactory(sku="MUG-1")
    StockFactory(variant=variant, warehouse=WarehouseFactory(code="EAST"), on_hand=50)
    return variant.sku


def test_htmx_typing_gets_the_dropdown_of_grouped_links(client, agent, shop):
    response = client.get(
        reverse("console:search"), {"q": shop["shipment"].tracking_number}, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert "Orders" in html and "Shipments" in html
    first = html.index('class="result is-exact"')
    assert f'href="/console/orders/{shop["ana"].number}/"' in html[first : first + 300]


def test_the_dropdown_says_when_nothing_matches(client, agent, shop):
    response = client.get(reverse("console:search"), {"q": "nobody-here"}, HTTP_HX_REQUEST="true")
    assert "Nothing found" in response.content.decode()


def test_a_plain_get_renders_the_results_page(client, agent, shop, django_assert_max_num_queries):
    with django_assert_max_num_queries(MAX_SEARCH_QUERIES + 8):
        response = client.get(reverse("console:search"), {"q": "ana.souza@example.com"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" in html and 'id="global-search-input"' in html
    assert f"#{shop['ana'].number}" in html and "Ana Souza" in html
    assert 'value="ana.souza@example.com"' in html


def test_the_results_page_without_a_query_asks_for_one(client, agent):
    response = client.get(reverse("console:search"))
    assert response.status_code == 200
    assert "Type at least two characters" in response.content.decode()


def test_the_start_of_a_long_tracking_number_finds_the_shipment(shop):
    results = search("1z999aa1012")
    assert [s.tracking_number for s in results.shipments] == ["1Z999AA10123456784"]
    assert results.exact_order is None
    assert numbers(results) == []
