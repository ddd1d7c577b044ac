"""First-contact resolution per case, on hand-built cases: one contact and no repeat within 7
days of resolution is a yes, a provisional yes while the window runs, a no after a repeat
contact on the case or a new case about the same order; other orders do not count."""

from datetime import timedelta

import pytest
from django.utils import timezone

from orders import services
from support.models import Case
from support.selectors.cases import annotate_fcr, fcr_rate
from tests.factories import CustomerFactory
from tests.orders.builders import ACTOR, order_input

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def days_ago(days: float):
    return NOW - timedelta(days=days)


@pytest.fixture
def orders(stocked_variant):
    """Two orders of the same customer (Ana)."""
    first = services.place_order(data=order_input([("TEE-M", 1)]), actor=ACTOR)
    second = services.place_order(data=order_input([("TEE-M", 1)]), actor=ACTOR)
    assert first.customer_id == second.customer_id
    return first, second


def make_case(
    customer,
    *,
    order=None,
    opened: float,
    resolved: float | None = None,
    contacts: int = 1,
    reason: str = Case.Reason.WHERE_IS_MY_ORDER,
) -> Case:
    return Case.objects.create(
        customer=customer,
        order=order,
        channel=Case.Channel.PHONE,
        reason=reason,
        subject="test",
        status=Case.Status.RESOLVED if resolved is not None else Case.Status.OPEN,
        contact_count=contacts,
        opened_at=days_ago(opened),
        last_contact_at=days_ago(opened),
        resolved_at=days_ago(resolved) if resolved is not None else None,
    )


def fcr(case: Case) -> str:
    return annotate_fcr(Case.objects.filter(pk=case.pk), now=NOW).get().fcr


def test_resolved_on_the_first_contact_and_quiet_for_7_days_is_a_yes(orders):
    order, _ = orders
    case = make_case(order.customer, order=order, opened=20, resolved=19.5)
    assert fcr(case) == "yes"


def test_resolved_less_than_7_days_ago_is_pending(orders):
    order, _ = orders
    case = make_case(order.customer, order=order, opened=3, resolved=2.9)
    assert fcr(case) == "pending"


def test_a_repeat_contact_on_the_same_case_is_a_no(orders):
    order, _ = orders
    case = make_case(order.customer, order=order, opened=20, resolved=18, contacts=2)
    assert fcr(case) == "no"


def test_a_new_case_about_the_same_order_within_7_days_is_a_no(orders):
    order, _ = orders
    case = make_case(order.customer, order=order, opened=20, resolved=19.9)
    repeat = make_case(order.customer, order=order, opened=14, resolved=13.9)

    assert fcr(case) == "no"
    assert fcr(repeat) == "yes"  # the second contact is judged on its own


def test_a_new_case_about_the_same_order_after_7_days_does_not_count(orders):
    order, _ = orders
    case = make_case(order.customer, order=order, opened=30, resolved=29.9)
    make_case(order.customer, order=order, opened=20, resolved=19)
    assert fcr(case) == "yes"


def test_a_case_about_a_different_order_does_not_count(orders):
    order, other = orders
    case = make_case(order.customer, order=order, opened=20, resolved=19.9)
    make_case(order.customer, order=other, opened=18)
    assert fcr(case) == "yes"


def test_a_pending_case_becomes_a_no_when_the_customer_comes_back(orders):
    order, _ = orders
    case = make_case(order.customer, order=order, opened=3, resolved=2.9)
    assert fcr(case) == "pending"
    make_case(order.customer, order=order, opened=1)
    assert fcr(case) == "no"


def test_a_duplicate_opened_while_the_case_was_open_counts_as_a_repeat(orders):
    order, _ = orders
    case = make_case(order.customer, order=order, opened=20, resolved=15)
    make_case(order.customer, order=order, opened=18, resolved=15)
    assert fcr(case) == "no"


def test_an_unresolved_case_is_open_unless_already_contacted_twice(orders):
    order, _ = orders
    assert fcr(make_case(order.customer, order=order, opened=1)) == "open"
    assert fcr(make_case(order.customer, order=order, opened=1, contacts=2)) == "no"


def test_without_an_order_only_the_same_reason_makes_a_repeat(db):
    customer = CustomerFactory()
    question = make_case(customer, opened=20, resolved=19.9, reason=Case.Reason.PRODUCT_QUESTION)
    billing = make_case(customer, opened=20, resolved=19.9, reason=Case.Reason.BILLING_REFUND)
    make_case(customer, opened=17, reason=Case.Reason.PRODUCT_QUESTION)
    someone_else = CustomerFactory()
    other_question = make_case(
        someone_else, opened=20, resolved=19.9, reason=Case.Reason.PRODUCT_QUESTION
    )

    assert fcr(question) == "no"
    assert fcr(billing) == "yes"
    assert fcr(other_question) == "yes"  # another customer's contact never counts


def test_fcr_rate_counts_settled_cases_and_reports_pending_ones(orders):
    order, other = orders
    customer = order.customer
    make_case(customer, order=order, opened=30, resolved=29.9)  # yes
    make_case(customer, order=other, opened=30, resolved=29, contacts=3)  # no
    make_case(customer, order=other, opened=25, resolved=24.5)  # yes (after the window)
    make_case(customer, order=order, opened=2, resolved=1)  # pending
    make_case(customer, order=other, opened=1)  # open: left out

    rate = fcr_rate(Case.objects.all(), now=NOW)

    assert (rate.resolved, rate.yes, rate.no, rate.pending) == (4, 2, 1, 1)
    assert rate.rate == pytest.approx(2 / 3)
    assert rate.provisional_rate == pytest.approx(3 / 4)
    assert fcr_rate(Case.objects.none(), now=NOW).rate is None


def test_annotate_fcr_is_one_query_whatever_the_number_of_cases(orders, django_assert_num_queries):
    order, other = orders
    for index in range(30):
        make_case(
            order.customer, order=(order, other)[index % 2], opened=40 - index, resolved=39 - index
        )
    with django_assert_num_queries(1):
        states = [case.fcr for case in annotate_fcr(Case.objects.all(), now=NOW)]
    assert len(states) == 30 and set(states) <= {"yes", "no", "pending"}
