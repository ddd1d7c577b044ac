"""Feedback measures in insights against a small hand-built data set: NPS, the average rating,
reviews mentioning damage (English and Portuguese words) and the return-experience score, cut
by product, warehouse and carrier; the drill-down shows the customers' words behind a number."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse

from feedback.models import Review, SurveyResponse
from insights.measures import MEASURES, Period, get_measure
from orders import services
from tests.factories import StockFactory, VariantFactory, WarehouseFactory
from tests.feedback.factories import answer_survey, make_review
from tests.orders.builders import ACTOR, order_input

pytestmark = pytest.mark.django_db
D = Decimal
RETURN = SurveyResponse.Kind.RETURN_EXPERIENCE


def shipped(skus: list[str], warehouse: str, carrier: str, tracking: str):
    """An order of one unit of each SKU, shipped from `warehouse` by `carrier`."""
    WarehouseFactory(code=warehouse)
    order = services.place_order(data=order_input([(sku, 1) for sku in skus]), actor=ACTOR)
    (shipment,) = order.shipments.all()
    assert shipment.warehouse.code == warehouse
    services.ship_shipment(
        shipment=shipment, carrier=carrier, tracking_number=tracking, actor=ACTOR
    )
    return order


def line(order, sku):
    return order.lines.get(sku=sku)


@pytest.fixture
def dataset():
    """Five orders: EAST ships by ups, WEST by dhl; mugs and tees (each warehouse stocks its
    own SKUs of the same two products)."""
    mug = VariantFactory(sku="MUG-E", product__name="Mug", product__slug="mug")
    tee = VariantFactory(sku="TEE-E", product__name="Tee", product__slug="tee")
    mug_w = VariantFactory(sku="MUG-W", product=mug.product)
    tee_w = VariantFactory(sku="TEE-W", product=tee.product)
    east = WarehouseFactory(code="EAST", priority=10)
    west = WarehouseFactory(code="WEST", priority=20)
    for variant in (mug, tee):
        StockFactory(variant=variant, warehouse=east)
    for variant in (mug_w, tee_w):
        StockFactory(variant=variant, warehouse=west)
    o1 = shipped(["MUG-E", "TEE-E"], "EAST", "ups", "T1")
    o2 = shipped(["MUG-W"], "WEST", "dhl", "T2")
    o3 = shipped(["TEE-W"], "WEST", "dhl", "T3")
    o4 = shipped(["MUG-E"], "EAST", "ups", "T4")
    o5 = shipped(["TEE-E"], "EAST", "ups", "T5")
    make_review(line(o1, "MUG-E"), rating=5, title="Great mug", body="")
    make_review(line(o1, "TEE-E"), rating=2, title="", body="It arrived TORN at the seam.")
    make_review(line(o2, "MUG-W"), rating=1, body="Chegou quebrado, que pena.", locale="pt-br")
    make_review(line(o3, "TEE-W"), rating=4, body="Nice")
    make_review(
        line(o4, "MUG-E"),
        rating=1,
        body="broken links spam",
        status=Review.Status.REJECTED,
        rejection_reason="spam",
    )
    make_review(line(o5, "TEE-E"), rating=5, body="Perfect")
    answer_survey(o1, 10, "Love it")
    answer_survey(o2, 3, "Demorou muito")
    answer_survey(o3, 8)
    answer_survey(o2, 2, "Slow refund", kind=RETURN)
    answer_survey(o3, 5, kind=RETURN)
    return {"o1": o1, "o2": o2, "o3": o3, "o4": o4, "o5": o5}


TODAY = Period.last_days(1)


def table(code: str, cut: str | None = None) -> dict:
    return {
        row.key: (row.numerator, row.denominator, row.value)
        for row in get_measure(code).compute(TODAY, cut=cut)
    }


def test_the_feedback_measures_are_registered_with_warehouse_and_carrier_cuts():
    for code in ("nps", "review_rating", "review_damage", "return_experience"):
        assert {"product", "warehouse", "carrier"} <= set(MEASURES[code].cuts)


def test_nps_is_promoters_minus_detractors_per_hundred_answers(dataset):
    assert table("nps") == {"all": (D(0), D(3), D("0.00"))}
    assert table("nps", "carrier") == {
        "ups": (D(1), D(1), D("100.00")),
        "dhl": (D(-1), D(2), D("-50.00")),
    }
    assert table("nps", "product") == {
        "mug": (D(0), D(2), D("0.00")),
        "tee": (D(1), D(2), D("50.00")),
    }


def test_average_rating_leaves_rejected_reviews_out(dataset):
    assert table("review_rating") == {"all": (D(17), D(5), D("3.40"))}
    assert table("review_rating", "warehouse") == {
        "EAST": (D(12), D(3), D("4.00")),
        "WEST": (D(5), D(2), D("2.50")),
    }
    assert table("review_rating", "product") == {
        "mug": (D(6), D(2), D("3.00")),
        "tee": (D(11), D(3), D("3.67")),
    }


def test_damage_mentions_read_each_review_in_its_language(dataset):
    assert table("review_damage") == {"all": (D(2), D(5), D("40.00"))}
    assert table("review_damage", "carrier") == {
        "ups": (D(1), D(3), D("33.33")),
        "dhl": (D(1), D(2), D("50.00")),
    }
    assert table("review_damage", "product") == {
        "mug": (D(1), D(2), D("50.00")),
        "tee": (D(1), D(3), D("33.33")),
    }
    behind = get_measure("review_damage").orders_behind(TODAY)
    assert {o.number for o in behind} == {dataset["o1"].number, dataset["o2"].number}


def test_return_experience_is_the_average_score(dataset):
    assert table("return_experience") == {"all": (D(7), D(2), D("3.50"))}
    assert table("return_experience", "carrier") == {"dhl": (D(7), D(2), D("3.50"))}


def test_the_drilldown_shows_the_comments_behind_the_number(client, dataset):
    user = User.objects.create_user("boss")
    user.groups.add(Group.objects.get(name="supervisor"))
    client.force_login(user)
    period = {"period": "7"}

    nps = client.get(
        reverse("insights:drilldown", args=["nps"]), {**period, "cut": "carrier", "key": "dhl"}
    )
    html = nps.content.decode()
    assert nps.status_code == 200, html[:2000]
    assert "Demorou muito" in html and "3/10" in html and "Love it" not in html

    damage = client.get(reverse("insights:drilldown", args=["review_damage"]), period)
    html = damage.content.decode()
    assert "It arrived TORN at the seam." in html and "Chegou quebrado" in html
    assert "Perfect" not in html


@pytest.mark.parametrize("copies", [1, 3])
def test_the_measures_and_their_drilldown_read_in_bounded_queries(
    client, dataset, copies, django_assert_max_num_queries
):
    for _copy in range(copies - 1):
        o = shipped(["MUG-E", "TEE-E"], "EAST", "ups", f"X{_copy}")
        make_review(line(o, "MUG-E"), rating=3, body="dented")
        answer_survey(o, 9, "ok")
    for code in ("nps", "review_rating", "review_damage", "return_experience"):
        for cut in (None, *MEASURES[code].cuts):
            with django_assert_max_num_queries(6):
                get_measure(code).compute(TODAY, cut=cut)
    user = User.objects.create_user("boss")
    user.groups.add(Group.objects.get(name="supervisor"))
    client.force_login(user)
    with django_assert_max_num_queries(16):
        response = client.get(
            reverse("insights:drilldown", args=["review_damage"]), {"period": "7"}
        )
    assert response.status_code == 200
