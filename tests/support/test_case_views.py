"""The case pages: an agent opens a case from an order, it becomes their active case and shows
in the queue; notes, contacts and resolution through the case page; the queue and the case page
issue a bounded number of queries whatever the number of cases."""

import json
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse
from django.utils import timezone

from notifications.models import OutboxMessage
from oms.actors import Actor
from orders import services
from support.context import SESSION_KEY
from support.models import Case, CaseEvent
from support.services import cases as case_services
from tests.factories import CustomerFactory
from tests.orders.builders import ACTOR, order_input

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent(db) -> User:
    user = User.objects.create_user("agent.ana", password="x", is_staff=True)
    user.groups.add(Group.objects.get(name="agent"))
    return user


@pytest.fixture
def console(client, agent):
    client.force_login(agent)
    return client


@pytest.fixture
def order(stocked_variant):
    return services.place_order(data=order_input([("TEE-M", 2)]), actor=ACTOR)


def hx(**headers) -> dict:
    return {"HTTP_HX_REQUEST": "true", **headers}


def open_case(order, agent, **overrides) -> Case:
    values = {
        "customer": order.customer,
        "channel": Case.Channel.PHONE,
        "reason": Case.Reason.DELAY,
        "subject": "Parcel is late",
        "order": order,
        "actor": Actor.for_user(agent),
        "user": agent,
    }
    values.update(overrides)
    return case_services.open_case(**values)


def test_an_agent_opens_a_case_from_an_order_and_works_on_it(console, agent, order):
    url = reverse("console:case-new")
    form = console.get(url, {"order": order.number})
    assert form.status_code == 200
    html = form.content.decode()
    assert f'<option value="{order.number}" selected>' in html
    assert order.customer.name in html
    shipment = order.shipments.get()

    created = console.post(
        url,
        {
            "customer": order.customer_id,
            "order": order.number,
            "shipment": shipment.pk,
            "channel": "phone",
            "reason": "wismo",
            "subject": "Tracking has not moved",
            "note": "Customer is travelling on Friday",
        },
    )

    case = Case.objects.get()
    assert created.status_code == 302
    assert created["Location"] == reverse("console:case-detail", args=[case.pk])
    assert (case.order, case.shipment, case.customer) == (order, shipment, order.customer)
    assert case.opened_by == agent and case.reason == "wismo"
    assert console.session[SESSION_KEY] == case.pk  # the rep's active case
    page = console.get(created["Location"])
    assert page.status_code == 200
    text = page.content.decode()
    assert "Customer is travelling on Friday" in text and "Working on case" in text
    assert reverse("console:order-detail", args=[order.number]) in text
    assert reverse("console:customer-detail", args=[order.customer_id]) in text

    queue = console.get(reverse("console:cases"))
    assert queue.status_code == 200 and case.reference in queue.content.decode()


def test_a_new_case_with_missing_fields_is_shown_again_and_nothing_is_created(console, order):
    response = console.post(
        reverse("console:case-new"),
        {"customer": order.customer_id, "order": order.number, "channel": "phone"},
    )
    assert response.status_code == 400
    assert "This field is required" in response.content.decode()
    assert not Case.objects.exists() and SESSION_KEY not in console.session


def test_a_new_case_for_another_customers_order_is_refused(console, order):
    stranger = CustomerFactory()
    response = console.post(
        reverse("console:case-new"),
        {
            "customer": stranger.pk,
            "order": order.number,
            "channel": "phone",
            "reason": "wismo",
            "subject": "Where is it",
        },
    )
    assert response.status_code == 400
    assert "belongs to another customer" in response.content.decode()
    assert not Case.objects.exists()


def test_the_new_case_page_starts_from_a_customer(console, order):
    response = console.get(reverse("console:case-new"), {"customer": order.customer_id})
    assert response.status_code == 200
    assert f'<option value="{order.number}">' in response.content.decode()
    picker = console.get(reverse("console:case-new"), {"q": "ana@example.com"})
    assert f"?customer={order.customer_id}" in picker.content.decode()


def test_note_contact_and_resolution_through_the_case_page(console, agent, order):
    case = open_case(order, agent)
    note = console.post(
        reverse("console:case-note", args=[case.pk]), {"text": "Called UPS"}, **hx()
    )
    assert note.status_code == 200
    assert json.loads(note["HX-Trigger"])["case:changed"] is True
    contact = console.post(
        reverse("console:case-contact", args=[case.pk]),
        {"channel": "chat", "note": "Any news?"},
        **hx(),
    )
    assert contact.status_code == 200

    refused = console.post(
        reverse("console:case-status", args=[case.pk]),
        {"status": "resolved", "resolution": "", "send_survey": "on"},
        **hx(),
    )
    assert refused.status_code == 400 and "HX-Trigger" not in refused
    case.refresh_from_db()
    assert case.status == "open"

    resolved = console.post(
        reverse("console:case-status", args=[case.pk]),
        {"status": "resolved", "resolution": "Reshipped by express", "send_survey": "on"},
    )
    assert resolved.status_code == 302
    case.refresh_from_db()
    assert (case.status, case.contact_count, case.resolution) == (
        "resolved",
        2,
        "Reshipped by express",
    )
    assert case.csat_sent_at is not None
    assert OutboxMessage.objects.filter(event_type="case.survey_requested").count() == 1
    types = list(case.events.order_by("id").values_list("type", flat=True))
    assert types == ["opened", "note", "contact", "status", "survey_sent"]
    page = console.get(reverse("console:case-detail", args=[case.pk])).content.decode()
    assert "Called UPS" in page and "Reshipped by express" in page


def test_a_resolved_case_cannot_be_resolved_twice_from_a_stale_page(console, agent, order):
    case = open_case(order, agent)
    case_services.resolve_case(
        case=case, resolution="Done", send_survey=False, actor=Actor.for_user(agent)
    )
    # The page still offered "resolved": the form refuses it, nothing changes.
    response = console.post(
        reverse("console:case-status", args=[case.pk]),
        {"status": "resolved", "resolution": "Again"},
        **hx(),
    )
    assert response.status_code == 400
    assert CaseEvent.objects.filter(type="status").count() == 1


def test_activate_and_deactivate_the_working_case(console, agent, order):
    case = open_case(order, agent)
    console.post(reverse("console:case-activate", args=[case.pk]))
    assert console.session[SESSION_KEY] == case.pk
    console.post(reverse("console:case-deactivate"))
    assert SESSION_KEY not in console.session
    assert console.get(reverse("console:case-activate", args=[case.pk])).status_code == 405


def test_actions_taken_from_the_case_show_on_its_timeline_with_the_order(console, agent, order):
    from support.services.case_links import record_action

    case = open_case(order, agent)
    record_action(
        case=case,
        actor=Actor.for_user(agent),
        action="goodwill_credit",
        summary="Goodwill credit of USD 10.00",
        order=order,
    )
    page = console.get(reverse("console:case-detail", args=[case.pk])).content.decode()
    assert "Goodwill credit of USD 10.00" in page
    assert f'href="{reverse("console:order-detail", args=[order.number])}"' in page


def test_the_queue_filters_and_lists_open_cases_oldest_first(console, agent, order):
    first = open_case(order, agent, subject="First")
    second = open_case(order, agent, subject="Second", reason=Case.Reason.DAMAGED)
    Case.objects.filter(pk=first.pk).update(opened_at=timezone.now() - timedelta(hours=5))
    done = open_case(order, agent, subject="Done")
    case_services.resolve_case(
        case=done, resolution="ok", send_survey=False, actor=Actor.for_user(agent)
    )

    text = console.get(reverse("console:cases")).content.decode()
    assert text.index(first.reference) < text.index(second.reference)
    assert done.reference not in text
    damaged = console.get(reverse("console:cases"), {"reason": "damaged"}).content.decode()
    assert second.reference in damaged and first.reference not in damaged
    resolved = console.get(reverse("console:cases"), {"status": "resolved"}).content.decode()
    assert done.reference in resolved and first.reference not in resolved
    rows = console.get(reverse("console:cases"), {"fragment": "rows"}, **hx())
    assert rows.status_code == 200 and b"<html" not in rows.content


def test_the_case_queue_issues_a_bounded_number_of_queries(
    console, agent, order, django_assert_max_num_queries
):
    def page_queries() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            assert console.get(reverse("console:cases")).status_code == 200
        return len(queries)

    open_case(order, agent)
    few = page_queries()
    for index in range(40):
        open_case(order, agent, subject=f"Case {index}", reason=Case.Reason.OTHER)
    assert page_queries() == few
    with django_assert_max_num_queries(12):
        console.get(reverse("console:cases"))


def test_the_case_page_issues_a_bounded_number_of_queries(
    console, agent, order, django_assert_max_num_queries
):
    case = open_case(order, agent)
    actor = Actor.for_user(agent)
    for index in range(30):
        case_services.add_note(case=case, text=f"Note {index}", actor=actor)
        open_case(order, agent, subject=f"Other {index}")
    with django_assert_max_num_queries(16):
        response = console.get(reverse("console:case-detail", args=[case.pk]))
    assert response.status_code == 200
