"""Support cases: opening one for a contact, notes, further contacts, resolution and reopening,
each write with its case event (who, what) and its outbox message; refusals change nothing."""

import pytest
from django.contrib.auth.models import Group, User

from notifications.models import OutboxMessage
from oms.actors import Actor
from oms.exceptions import Conflict, ValidationFailed
from orders import services
from support.models import Case, CaseEvent
from support.services import cases
from tests.factories import CustomerFactory
from tests.orders.builders import ACTOR, order_input

pytestmark = pytest.mark.django_db


@pytest.fixture
def rep(db) -> User:
    user = User.objects.create_user("maria.santos", password="x", is_staff=True)
    user.groups.add(Group.objects.get(name="agent"))
    return user


@pytest.fixture
def actor(rep) -> Actor:
    return Actor.for_user(rep)


@pytest.fixture
def order(stocked_variant):
    return services.place_order(data=order_input([("TEE-M", 2)]), actor=ACTOR)


def open_for(for_order, actor, rep, **overrides) -> Case:
    values = {
        "customer": for_order.customer,
        "channel": Case.Channel.PHONE,
        "reason": Case.Reason.WHERE_IS_MY_ORDER,
        "subject": "Where is my parcel?",
        "order": for_order,
        "actor": actor,
        "user": rep,
    }
    values.update(overrides)
    return cases.open_case(**values)


def case_messages(case: Case) -> list[OutboxMessage]:
    return list(
        OutboxMessage.objects.filter(aggregate_type="case", aggregate_id=str(case.pk)).order_by(
            "created_at", "id"
        )
    )


def test_open_case_records_the_contact_its_events_and_emits_case_opened(order, actor, rep):
    case = open_for(order, actor, rep, note="Customer says tracking has not moved for 3 days")

    case.refresh_from_db()
    assert case.status == Case.Status.OPEN and case.contact_count == 1
    assert case.opened_by == rep and case.assigned_to == rep
    assert case.opened_at == case.last_contact_at and case.resolved_at is None
    events = list(case.events.order_by("id"))
    assert [e.type for e in events] == [CaseEvent.Type.OPENED, CaseEvent.Type.NOTE]
    assert all(e.actor_label == "maria.santos" and e.actor_user == rep for e in events)
    assert events[1].text == "Customer says tracking has not moved for 3 days"
    (message,) = case_messages(case)
    assert message.event_type == "case.opened"
    assert message.payload["case"] == {
        "id": case.pk,
        "reference": f"C-{case.pk}",
        "channel": "phone",
        "reason": "wismo",
        "status": "open",
        "customer_id": order.customer_id,
    }
    # The whole order, so the order's live topic hears of the case.
    assert message.payload["order"]["number"] == order.number
    assert message.payload["event"] == {"type": "opened", "actor": "maria.santos"}


def test_a_shipment_alone_brings_its_order_along(order, actor, rep):
    shipment = order.shipments.get()
    case = open_for(order, actor, rep, order=None, shipment=shipment)
    assert (case.order, case.shipment) == (order, shipment)


def test_a_case_without_an_order_is_addressed_to_the_customer(db, actor, rep):
    customer = CustomerFactory(locale="pt-br")
    case = cases.open_case(
        customer=customer,
        channel=Case.Channel.EMAIL,
        reason=Case.Reason.PRODUCT_QUESTION,
        subject="Does the linen shirt shrink?",
        actor=actor,
        user=rep,
    )
    (message,) = case_messages(case)
    assert message.payload["order"] == {
        "email": customer.email,
        "customer_name": customer.name,
        "locale": "pt-br",
    }


def test_open_case_refuses_another_customers_order_and_changes_nothing(order, actor, rep):
    stranger = CustomerFactory()
    with pytest.raises(ValidationFailed) as refused:
        open_for(order, actor, rep, customer=stranger)

    assert [e["field"] for e in refused.value.errors] == ["order"]
    assert not Case.objects.exists() and not CaseEvent.objects.exists()
    assert not OutboxMessage.objects.filter(aggregate_type="case").exists()


def test_open_case_refuses_a_shipment_of_another_order(order, actor, rep, stocked_variant):
    other = services.place_order(data=order_input([("TEE-M", 1)]), actor=ACTOR)
    with pytest.raises(ValidationFailed) as refused:
        open_for(order, actor, rep, shipment=other.shipments.get())
    assert [e["field"] for e in refused.value.errors] == ["shipment"]
    assert not Case.objects.exists()


def test_open_case_names_every_bad_field(order, actor, rep):
    with pytest.raises(ValidationFailed) as refused:
        open_for(order, actor, rep, channel="fax", reason="bored", subject="  ")
    assert {e["field"] for e in refused.value.errors} == {"channel", "reason", "subject"}
    assert not Case.objects.exists()


def test_case_lifecycle_note_contact_resolve_and_reopen(order, actor, rep):
    case = open_for(order, actor, rep)

    cases.add_note(case=case, text="Asked the carrier for a trace", actor=actor)
    cases.change_status(case=case, to=Case.Status.WAITING_ON_CUSTOMER, actor=actor)
    case = cases.log_contact(case=case, channel=Case.Channel.CHAT, note="Any news?", actor=actor)
    assert (case.contact_count, case.status) == (2, Case.Status.WAITING_ON_CUSTOMER)

    case = cases.resolve_case(
        case=case, resolution="Parcel found at the depot", send_survey=False, actor=actor
    )
    case.refresh_from_db()
    assert case.status == Case.Status.RESOLVED and case.resolved_at is not None
    assert case.resolution == "Parcel found at the depot" and case.csat_sent_at is None

    reopened = cases.log_contact(case=case, channel=Case.Channel.PHONE, actor=actor)
    reopened.refresh_from_db()
    assert (reopened.status, reopened.resolved_at, reopened.contact_count) == ("open", None, 3)

    types = list(case.events.order_by("id").values_list("type", "data"))
    assert [t for t, _ in types] == [
        "opened",
        "note",
        "status",
        "contact",
        "status",
        "contact",
        "status",
    ]
    assert types[2][1] == {"from": "open", "to": "waiting"}
    assert types[4][1] == {"from": "waiting", "to": "resolved"}
    assert types[6][1] == {"from": "resolved", "to": "open"}
    assert set(case.events.values_list("actor_label", flat=True)) == {"maria.santos"}
    emitted = [(m.event_type, m.payload["event"]["type"]) for m in case_messages(case)]
    assert emitted == [
        ("case.opened", "opened"),
        ("case.updated", "note"),
        ("case.updated", "status"),
        ("case.updated", "contact"),
        ("case.updated", "status"),
        ("case.updated", "contact"),
    ]
    assert case_messages(case)[4].payload["event"] == {
        "type": "status",
        "actor": "maria.santos",
        "from": "waiting",
        "to": "resolved",
    }


def test_resolving_without_a_resolution_is_refused_and_changes_nothing(order, actor, rep):
    case = open_for(order, actor, rep)
    before = (CaseEvent.objects.count(), OutboxMessage.objects.count())

    with pytest.raises(ValidationFailed) as refused:
        cases.resolve_case(case=case, resolution="  ", send_survey=True, actor=actor)

    assert refused.value.errors[0]["field"] == "resolution"
    case.refresh_from_db()
    assert case.status == Case.Status.OPEN and case.csat_sent_at is None
    assert (CaseEvent.objects.count(), OutboxMessage.objects.count()) == before


def test_a_resolved_case_is_not_resolved_again_nor_sent_to_waiting(order, actor, rep):
    case = open_for(order, actor, rep)
    cases.resolve_case(case=case, resolution="Done", send_survey=False, actor=actor)
    before = (CaseEvent.objects.count(), OutboxMessage.objects.count())

    with pytest.raises(Conflict):
        cases.resolve_case(case=case, resolution="Again", send_survey=True, actor=actor)
    with pytest.raises(Conflict):
        cases.change_status(case=case, to=Case.Status.WAITING_ON_CUSTOMER, actor=actor)

    case.refresh_from_db()
    assert case.resolution == "Done" and case.csat_sent_at is None
    assert (CaseEvent.objects.count(), OutboxMessage.objects.count()) == before


def test_an_empty_note_is_refused(order, actor, rep):
    case = open_for(order, actor, rep)
    with pytest.raises(ValidationFailed):
        cases.add_note(case=case, text=" ", actor=actor)
    assert case.events.count() == 1


def test_resolving_with_the_survey_sends_a_signed_link(order, actor, rep, settings):
    settings.OMS_PUBLIC_URL = "https://shop.example.com"
    case = open_for(order, actor, rep)

    cases.resolve_case(case=case, resolution="Refunded shipping", send_survey=True, actor=actor)

    case.refresh_from_db()
    assert case.csat_sent_at == case.resolved_at
    assert case.events.filter(type=CaseEvent.Type.SURVEY_SENT, actor_user=rep).exists()
    survey = case_messages(case)[-1]
    assert survey.event_type == "case.survey_requested"
    assert survey.payload["order"]["email"] == order.email
    url = survey.payload["event"]["survey_url"]
    assert url.startswith(f"https://shop.example.com/survey/{case.pk}:")
    assert survey.payload["event"]["type"] == "survey_sent"
