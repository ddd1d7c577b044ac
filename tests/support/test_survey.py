"""The satisfaction survey: sent by email on resolution (not to customers who opted out of
non-essential email), answered once through a signed link that expires, in the customer's
language; forged, expired and repeated answers are refused and record nothing."""

import re
import time

import pytest
from django.contrib.auth.models import User
from django.core import signing
from django.test import Client

from notifications.models import Delivery, OutboxMessage
from notifications.services.preferences import set_preference
from oms.actors import Actor
from oms.exceptions import Conflict, NotFound, ValidationFailed
from orders import services
from support import links
from support.models import Case, CaseEvent
from support.services import cases
from tests.factories import ADDRESS
from tests.orders.builders import ACTOR, order_input


@pytest.fixture
def rep(db) -> User:
    return User.objects.create_user("maria.santos", is_staff=True)


def place(email: str = "ana@example.com", locale: str = "en"):
    customer = services.CustomerInput(email=email, name="Ana Souza", locale=locale)
    return services.place_order(
        data=order_input([("TEE-M", 1)], customer=customer, shipping_address=ADDRESS),
        actor=ACTOR,
    )


def resolved_case(order, rep, *, send_survey: bool = True) -> Case:
    actor = Actor.for_user(rep)
    case = cases.open_case(
        customer=order.customer,
        channel=Case.Channel.PHONE,
        reason=Case.Reason.DELAY,
        subject="Parcel late",
        order=order,
        actor=actor,
        user=rep,
    )
    return cases.resolve_case(
        case=case, resolution="Reshipped express", send_survey=send_survey, actor=actor
    )


def token_of(case: Case) -> str:
    message = OutboxMessage.objects.get(
        event_type="case.survey_requested", aggregate_id=str(case.pk)
    )
    return message.payload["event"]["survey_url"].rstrip("/").rsplit("/", 1)[1]


def answered(case: Case) -> tuple:
    case.refresh_from_db()
    return case.csat_score, case.csat_comment, case.csat_answered_at is not None


# --- The service -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_answer_is_recorded_once_and_attributed_to_the_customer(stocked_variant, rep):
    case = resolved_case(place(), rep)
    token = token_of(case)

    cases.record_survey_answer(token=token, score=4, comment="Quick and kind")

    assert answered(case) == (4, "Quick and kind", True)
    event = case.events.get(type=CaseEvent.Type.SURVEY_ANSWERED)
    assert (event.actor_kind, event.actor_label, event.data) == (
        "customer",
        "ana@example.com",
        {"score": 4},
    )
    (update,) = OutboxMessage.objects.filter(
        event_type="case.updated", payload__event__type="survey_answered"
    )
    assert update.payload["event"] == {
        "type": "survey_answered",
        "actor": "ana@example.com",
        "score": 4,
    }
    before = (CaseEvent.objects.count(), OutboxMessage.objects.count())

    with pytest.raises(Conflict) as second:
        cases.record_survey_answer(token=token, score=1, comment="Changed my mind")

    assert second.value.code == "survey_already_answered"
    assert answered(case) == (4, "Quick and kind", True)
    assert (CaseEvent.objects.count(), OutboxMessage.objects.count()) == before


@pytest.mark.django_db
@pytest.mark.parametrize("score", [0, 6, -1, True])
def test_a_score_outside_1_to_5_is_refused(stocked_variant, rep, score):
    case = resolved_case(place(), rep)
    with pytest.raises(ValidationFailed):
        cases.record_survey_answer(token=token_of(case), score=score, comment="")
    assert answered(case) == (None, "", False)


@pytest.mark.django_db
def test_an_expired_link_is_refused(stocked_variant, rep, monkeypatch):
    case = resolved_case(place(), rep)
    fifteen_days_ago = time.time() - 15 * 24 * 3600
    with monkeypatch.context() as patched:
        patched.setattr(signing.time, "time", lambda: fifteen_days_ago)
        old_token = links.survey_token(case.pk)

    with pytest.raises(Conflict) as refused:
        cases.record_survey_answer(token=old_token, score=5, comment="")

    assert refused.value.code == "survey_link_expired"
    assert answered(case) == (None, "", False)


@pytest.mark.django_db
def test_a_forged_link_is_refused(stocked_variant, rep):
    case = resolved_case(place(), rep)
    genuine = token_of(case)
    forged = [
        f"{case.pk}:{genuine.split(':', 1)[1][:-2]}xx",
        genuine.replace(f"{case.pk}:", f"{case.pk + 1}:", 1),
        signing.TimestampSigner(salt="oms.order-tracking").sign(str(case.pk)),
        "garbage",
    ]
    for token in forged:
        with pytest.raises(NotFound):
            cases.record_survey_answer(token=token, score=5, comment="")
    assert answered(case) == (None, "", False)


@pytest.mark.django_db
def test_a_case_resolved_without_the_survey_cannot_be_answered(stocked_variant, rep):
    case = resolved_case(place(), rep, send_survey=False)
    assert not OutboxMessage.objects.filter(event_type="case.survey_requested").exists()
    with pytest.raises(NotFound):
        cases.record_survey_answer(token=links.survey_token(case.pk), score=5, comment="")
    assert answered(case) == (None, "", False)


@pytest.mark.django_db
def test_an_answered_survey_is_not_sent_again_when_the_case_is_resolved_again(stocked_variant, rep):
    case = resolved_case(place(), rep)
    cases.record_survey_answer(token=token_of(case), score=2, comment="")
    actor = Actor.for_user(rep)
    cases.log_contact(case=case, channel=Case.Channel.PHONE, actor=actor)

    cases.resolve_case(case=case, resolution="Second try", send_survey=True, actor=actor)

    assert OutboxMessage.objects.filter(event_type="case.survey_requested").count() == 1


# --- The email ---------------------------------------------------------------------------------


def survey_deliveries(case: Case) -> list[Delivery]:
    return list(
        Delivery.objects.filter(
            event_type="case.survey_requested", aggregate_id=str(case.pk), channel="email"
        )
    )


@pytest.mark.django_db(transaction=True)
def test_the_survey_email_goes_out_in_the_customers_language_with_the_link(
    stocked_variant, rep, mailoutbox
):
    order = place(email="joao@example.com.br", locale="pt-br")
    mailoutbox.clear()
    case = resolved_case(order, rep)

    (delivery,) = survey_deliveries(case)
    assert delivery.status == "sent"
    (email,) = [m for m in mailoutbox if m.to == ["joao@example.com.br"]]
    token = token_of(case)
    assert f"/survey/{token}/" in email.body
    html = email.alternatives[0][0]
    assert f"/survey/{token}/?score=5" in html and '<html lang="pt-br">' in html
    assert order.number in email.subject


@pytest.mark.django_db(transaction=True)
def test_no_survey_email_for_a_customer_who_opted_out(stocked_variant, rep, mailoutbox):
    set_preference(email="ANA@example.com", wants_non_essential=False)
    order = place()
    mailoutbox.clear()

    case = resolved_case(order, rep)

    (skipped,) = survey_deliveries(case)
    assert (skipped.status, skipped.last_error, skipped.attempts) == ("skipped", "opted out", 0)
    assert mailoutbox == []


# --- The page ----------------------------------------------------------------------------------


def survey_path(token: str) -> str:
    return f"/survey/{token}/"


@pytest.mark.django_db
def test_the_survey_page_asks_in_the_customers_language_and_records_once(stocked_variant, rep):
    case = resolved_case(place(email="joao@example.com.br", locale="pt-br"), rep)
    token = token_of(case)
    browser = Client()

    page = browser.get(survey_path(token) + "?score=5")

    assert page.status_code == 200
    assert page["X-Robots-Tag"] == "noindex"
    html = page.content.decode()
    assert case.reference in html and 'lang="pt-br"' in html
    assert re.search(r'value="5" required checked', html)  # the email's button preselects
    assert answered(case) == (None, "", False)  # opening the link records nothing

    sent = browser.post(survey_path(token), {"score": "5", "comment": "Ótimo atendimento"})

    assert sent.status_code == 302 and sent["Location"] == f"/survey/{token}/thanks/"
    assert answered(case) == (5, "Ótimo atendimento", True)
    thanks = browser.get(sent["Location"])
    assert thanks.status_code == 200 and case.reference in thanks.content.decode()

    again = browser.get(survey_path(token))
    assert again.status_code == 410
    repost = browser.post(survey_path(token), {"score": "1"})
    assert repost.status_code == 410
    assert answered(case) == (5, "Ótimo atendimento", True)


@pytest.mark.django_db
def test_the_survey_page_asks_again_without_a_score(stocked_variant, rep):
    case = resolved_case(place(), rep)
    response = Client().post(survey_path(token_of(case)), {"comment": "no score"})
    assert response.status_code == 400
    assert "Choose how satisfied you are" in response.content.decode()
    assert answered(case) == (None, "", False)


@pytest.mark.django_db
def test_expired_and_forged_links_get_a_polite_page_and_record_nothing(
    stocked_variant, rep, monkeypatch
):
    case = resolved_case(place(), rep)
    twenty_days_ago = time.time() - 20 * 24 * 3600
    with monkeypatch.context() as patched:
        patched.setattr(signing.time, "time", lambda: twenty_days_ago)
        expired = links.survey_token(case.pk)
    browser = Client()

    assert browser.get(survey_path(expired)).status_code == 410
    assert browser.post(survey_path(expired), {"score": "5"}).status_code == 410
    forged = browser.post(survey_path(f"{case.pk}:abc:def"), {"score": "5"})
    assert forged.status_code == 404
    assert "This link does not work" in forged.content.decode()
    assert browser.get(f"/survey/{case.pk}:abc:def/thanks/").status_code == 404
    assert answered(case) == (None, "", False)


# --- Racing answers --------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_answers_at_the_same_moment_record_one(stocked_variant, rep):
    from tests.orders.test_concurrency import run_concurrently

    case = resolved_case(place(), rep)
    token = token_of(case)

    results = run_concurrently(
        [
            lambda score=score: cases.record_survey_answer(token=token, score=score, comment="")
            for score in (1, 5)
        ],
        threads=2,
    )

    assert sorted(type(result).__name__ for result in results) == ["Case", "Conflict"]
    case.refresh_from_db()
    winner = next(result for result in results if isinstance(result, Case))
    assert case.csat_score == winner.csat_score
    assert case.events.filter(type=CaseEvent.Type.SURVEY_ANSWERED).count() == 1
