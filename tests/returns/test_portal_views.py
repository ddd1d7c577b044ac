"""The portal's pages: the order's lines with why each can or cannot be returned, the form
(quantities, reasons, photos, resolutions, exchange variants with live stock), the estimate
before submitting (htmx fragment and the no-JavaScript preview), the submit, the return's page
(timeline, money, label, live wiring), cancelling, and the statutory withdrawal button."""

import re
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from notifications.selectors import latest_live_event_id
from oms.actors import Actor
from orders import links
from orders.models import Stock
from returns.models import (
    ReturnPhoto,
    ReturnReasonRule,
    ReturnRequest,
    ReturnStatus,
)
from returns.policy import zones
from returns.services import receiving
from tests.factories import StockFactory, WarehouseFactory
from tests.returns.portal_helpers import (
    delivered,
    open_order,
    request_refund,
    sent_code,
    store_policy,
    tee_sizes,
)

pytestmark = pytest.mark.django_db

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


@pytest.fixture
def policy():
    return store_policy()


@pytest.fixture
def order(policy, client):
    made = delivered(email="ana@example.com", country="US", lines=(("TEE-M", 2), ("TEE-S", 1)))
    open_order(client, made)
    return made


def line(order, sku="TEE-M"):
    return order.lines.get(sku=sku)


def choose(order, sku="TEE-M", quantity=1, reason="size_too_small", **extra) -> dict:
    pk = line(order, sku).pk
    data = {f"quantity_{pk}": str(quantity), f"reason_{pk}": reason}
    for key, value in extra.items():
        data[f"{key}_{pk}"] = value
    return data


def submit(client, order, data, *, action="submit", token="a" * 32):
    return client.post(
        f"/returns/o/{order.number}/",
        {"form_token": token, "resolution": "refund", "action": action, **data},
    )


def estimate(client, order, data):
    return client.post(
        f"/returns/o/{order.number}/estimate/", {"form_token": "e" * 32, **data}
    ).content.decode()


# --- the order page ---------------------------------------------------------------------------


def test_start_page_uses_the_vendored_assets_and_no_cdn(client, db):
    html = client.get("/returns/").content.decode()

    assert 'name="order_number"' in html and 'name="email"' in html and 'name="postal_code"' in html
    assert not re.search(r'<(script|link)[^>]*(src|href)="(https?:)?//', html)
    assert "/static/css/returns.css" in html


def test_order_page_shows_each_line_and_why_it_can_or_cannot_be_returned(client, policy):
    tee_sizes()["S"].__class__.objects.filter(sku="TEE-S").update(is_final_sale=True)
    order = delivered(lines=(("TEE-M", 2), ("TEE-S", 1)))
    open_order(client, order)

    response = client.get(f"/returns/o/{order.number}/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "Returnable until" in html
    assert "Final sale items cannot be returned." in html
    assert f'name="quantity_{line(order).pk}"' in html
    assert f'name="quantity_{line(order, "TEE-S").pk}"' not in html  # not returnable: no field
    assert '<option value="2">2</option>' in html  # up to what was delivered


def test_order_page_offers_the_policy_reasons_and_says_which_need_a_photo(client, order):
    html = client.get(f"/returns/o/{order.number}/").content.decode()

    assert '<option value="damaged" data-requires-photo>' in html
    assert "photo needed" in html
    assert '<option value="size_too_small">Size too small</option>' in html


def test_order_page_offers_the_resolutions_with_the_store_credit_bonus(client, order):
    html = client.get(f"/returns/o/{order.number}/").content.decode()

    for value in ("refund", "store_credit", "exchange"):
        assert f'value="{value}"' in html
    assert "+10% bonus" in html


def test_instant_exchange_is_offered_only_when_the_policy_allows_it(client, policy):
    order = delivered()
    open_order(client, order)
    offered = client.get(f"/returns/o/{order.number}/").content.decode()
    policy.offers_instant_exchange = False
    policy.save()

    not_offered = client.get(f"/returns/o/{order.number}/").content.decode()

    assert 'name="instant_exchange"' in offered
    assert 'name="instant_exchange"' not in not_offered


def test_order_page_speaks_the_order_language(client, policy):
    order = delivered(locale="pt-br", country="BR")
    open_order(client, order)

    html = client.get(f"/returns/o/{order.number}/").content.decode()

    assert '<html lang="pt-br">' in html
    assert "Entregue" in html


def test_order_page_queries_are_bounded(client, order, django_assert_max_num_queries):
    with django_assert_max_num_queries(16):
        assert client.get(f"/returns/o/{order.number}/").status_code == 200


# --- the estimate -----------------------------------------------------------------------------


def test_estimate_fragment_shows_the_refund_with_fees_and_shipping(client, policy, order):
    policy.return_shipping_fee = Decimal("4.00")
    policy.save()
    ReturnReasonRule.objects.filter(policy=policy, reason="no_longer_wanted").update(
        return_shipping_paid_by="customer"
    )

    html = estimate(
        client, order, {**choose(order, reason="no_longer_wanted"), "resolution": "refund"}
    )

    assert "<html" not in html
    assert "Restocking fee" in html and "− USD 2.00" in html  # 10 % of 20.00
    assert "Return shipping" in html and "− USD 4.00" in html
    assert "Estimated refund" in html and "USD 14.00" in html


def test_estimate_shows_the_store_credit_bonus(client, order):
    html = estimate(client, order, {**choose(order), "resolution": "store_credit"})

    assert "Store credit bonus" in html and "+ USD 2.00" in html
    assert "Estimated store credit" in html and "USD 22.00" in html


def test_estimate_of_an_exchange_shows_the_price_difference(client, order):
    large = tee_sizes()["L"]

    html = estimate(
        client, order, {**choose(order, variant=str(large.pk)), "resolution": "exchange"}
    )

    assert "Replacement" in html and "Price difference" in html and "USD 0.00" in html


def test_estimate_with_nothing_chosen_invites_to_choose(client, order):
    html = estimate(client, order, {"resolution": "refund"})

    assert "your refund appears here" in html


def test_estimate_says_what_is_missing(client, order):
    html = estimate(client, order, {**choose(order, reason="damaged"), "resolution": "refund"})

    assert "Add a photo of the item for this reason." in html


def test_estimate_counts_the_photos_the_page_script_reports(client, order):
    data = {**choose(order, reason="damaged", photo_count="1"), "resolution": "refund"}

    html = estimate(client, order, data)

    assert "Add a photo" not in html and "Estimated refund" in html


def test_preview_without_javascript_shows_the_estimate_and_creates_nothing(client, order):
    response = submit(client, order, choose(order), action="preview")

    html = response.content.decode()
    assert response.status_code == 200
    assert "Estimated refund" in html and "USD 20.00" in html
    assert f'name="quantity_{line(order).pk}"' in html and 'value="1" selected' in html
    assert not ReturnRequest.objects.exists()


def test_the_page_refreshes_the_estimate_without_uploading_the_photos(client, order):
    html = client.get(f"/returns/o/{order.number}/").content.decode()

    assert f'hx-post="/returns/o/{order.number}/estimate/"' in html
    assert 'hx-include="#return-form"' in html
    pks = sorted(line.pk for line in order.lines.all())
    assert f'hx-params="not photos_{pks[0]},photos_{pks[1]}"' in html


# --- exchanges --------------------------------------------------------------------------------


def test_exchange_picker_shows_live_stock_summed_over_warehouses(client, order):
    sizes = tee_sizes()
    second = WarehouseFactory(code="WEST", region="CA", priority=20)
    StockFactory(variant=sizes["L"], warehouse=second, on_hand=4, allocated=1)
    Stock.objects.filter(variant=sizes["S"]).update(on_hand=0, allocated=0)

    response = client.get(f"/returns/o/{order.number}/lines/{line(order).pk}/variants/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert re.search(rf'<option value="{sizes["L"].pk}"\s*>L · USD 20.00 · 13 in stock', html)
    assert re.search(rf'<option value="{sizes["S"].pk}"\s*disabled>S · USD 20.00 · out of', html)
    assert f'value="{sizes["M"].pk}"' not in html  # not the variant being returned


def test_exchange_picker_keeps_the_choice_when_refreshed(client, order):
    large = tee_sizes()["L"]
    pk = line(order).pk

    html = client.get(
        f"/returns/o/{order.number}/lines/{pk}/variants/", {f"variant_{pk}": large.pk}
    ).content.decode()

    assert re.search(rf'<option value="{large.pk}" selected', html)


def test_an_exchange_needs_a_variant(client, order):
    response = client.post(
        f"/returns/o/{order.number}/",
        {"form_token": "x" * 32, "resolution": "exchange", "action": "submit", **choose(order)},
    )

    assert response.status_code == 400
    assert "Choose the variant you want instead." in response.content.decode()
    assert not ReturnRequest.objects.exists()


def test_an_exchange_is_requested_with_the_chosen_variant(client, order):
    large = tee_sizes()["L"]

    response = client.post(
        f"/returns/o/{order.number}/",
        {
            "form_token": "x" * 32,
            "resolution": "exchange",
            "action": "submit",
            **choose(order, variant=str(large.pk)),
        },
    )

    return_request = ReturnRequest.objects.get()
    assert response.status_code == 302
    assert return_request.resolution == "exchange"
    assert return_request.lines.get().exchange_variant_id == large.pk


# --- submitting -------------------------------------------------------------------------------


def test_submit_requests_the_return_as_the_customer_through_the_portal(client, order):
    response = submit(client, order, choose(order, comment="Too tight"))

    return_request = ReturnRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/returns/r/{return_request.rma}/"
    assert return_request.requested_via == "portal"
    assert return_request.actor_kind == "customer"
    assert return_request.actor_label == "ana@example.com"
    assert return_request.idempotency_reference == "portal:" + "a" * 32
    assert return_request.lines.get().comment == "Too tight"
    assert return_request.estimated_total == Decimal("20.00")


def test_a_double_submit_creates_one_return(client, order):
    first = submit(client, order, choose(order))
    second = submit(client, order, choose(order))

    assert ReturnRequest.objects.count() == 1
    assert first["Location"] == second["Location"]


def test_submit_without_any_item_is_refused_in_the_form(client, order):
    response = submit(client, order, {})

    assert response.status_code == 400
    assert "Choose at least one item to return." in response.content.decode()
    assert not ReturnRequest.objects.exists()


def test_submit_without_a_reason_is_refused_on_the_reason(client, order):
    response = submit(client, order, choose(order, reason=""))

    assert response.status_code == 400
    assert "Tell us why you return this item." in response.content.decode()
    assert not ReturnRequest.objects.exists()


def test_a_reason_that_needs_a_photo_without_one_is_refused_on_the_photos(client, order):
    response = submit(client, order, choose(order, reason="damaged"))

    assert response.status_code == 400
    assert response.context["form"].errors[f"photos_{line(order).pk}"] == [
        "Add a photo of the item for this reason."
    ]
    assert not ReturnRequest.objects.exists()


def test_photos_are_checked_by_type_and_the_error_is_shown_in_the_form(client, order):
    fake = SimpleUploadedFile("photo.jpg", b"not an image at all", content_type="image/jpeg")

    response = submit(client, order, {**choose(order, reason="damaged"), **photos(order, fake)})

    assert response.status_code == 400
    [message] = response.context["form"].errors[f"photos_{line(order).pk}"]
    assert "JPEG" in message
    assert not ReturnRequest.objects.exists() and not ReturnPhoto.objects.exists()


def test_photos_are_checked_by_size(client, order, settings):
    settings.OMS_RETURN_PHOTO_MAX_BYTES = 32
    big = SimpleUploadedFile("photo.jpg", JPEG, content_type="image/jpeg")

    response = submit(client, order, {**choose(order, reason="damaged"), **photos(order, big)})

    assert response.status_code == 400
    assert response.context["form"].errors[f"photos_{line(order).pk}"]
    assert not ReturnRequest.objects.exists()


def test_a_return_with_photos_keeps_them(client, order):
    files = [SimpleUploadedFile(f"p{i}.jpg", JPEG, content_type="image/jpeg") for i in range(2)]

    response = submit(client, order, {**choose(order, reason="damaged"), **photos(order, *files)})

    assert response.status_code == 302
    assert ReturnPhoto.objects.filter(line__return_request__order=order).count() == 2


def photos(order, *files, sku="TEE-M") -> dict:
    return {f"photos_{line(order, sku).pk}": list(files)}


def test_a_line_already_in_an_open_return_cannot_be_posted_again(client, order):
    request_refund(order, quantity=2)  # every unit is now in an open return

    response = submit(client, order, choose(order))

    assert response.status_code == 400
    assert "already in an open return" in response.content.decode()
    assert ReturnRequest.objects.count() == 1


# --- the return's page ------------------------------------------------------------------------


def test_return_page_shows_the_status_timeline_estimate_and_label(client, order):
    return_request = request_refund(order)

    response = client.get(f"/returns/r/{return_request.rma}/")

    html = response.content.decode()
    assert response.status_code == 200
    assert return_request.rma in html
    assert 'id="return-status-badge">Approved<' in html
    assert "Return requested" in html and "Return approved" in html
    assert "Estimated refund" in html and "USD 20.00" in html
    assert f'href="/returns/r/{return_request.rma}/label.pdf"' in html
    assert f'href="/returns/r/{return_request.rma}/cancel/"' in html


def test_return_page_listens_to_its_own_stream_from_where_it_was_rendered(client, order):
    return_request = request_refund(order)
    before = latest_live_event_id()

    html = client.get(f"/returns/r/{return_request.rma}/").content.decode()

    events_url = re.escape(f"/returns/r/{return_request.rma}/events/")
    after = int(re.search(rf'sse-connect="{events_url}\?after=(\d+)"', html).group(1))
    assert before <= after <= latest_live_event_id()
    assert f'hx-get="/returns/r/{return_request.rma}/fragment/"' in html
    assert 'hx-trigger="sse:return' in html
    assert "/static/vendor/htmx/sse.js" in html


def test_the_fragment_is_the_live_part_of_the_return_page_only(client, order):
    return_request = request_refund(order)

    html = client.get(f"/returns/r/{return_request.rma}/fragment/").content.decode()

    assert "<html" not in html and "sse-connect" not in html
    assert 'id="return-status-badge"' in html


def test_return_page_shows_what_was_refunded_once_received(client, order):
    return_request = request_refund(order)
    receiving.receive_return(
        return_request=return_request,
        lines=[(return_request.lines.get().pk, 1, "as_new")],
        actor=Actor.system("warehouse"),
    )

    html = client.get(f"/returns/r/{return_request.rma}/").content.decode()

    return_request.refresh_from_db()
    assert return_request.refunded_amount == Decimal("20.00")
    assert "Refunded to your payment method" in html and "USD 20.00" in html
    assert "1 received" in html


def test_the_label_is_a_pdf_named_after_the_rma(client, order):
    return_request = request_refund(order)

    response = client.get(f"/returns/r/{return_request.rma}/label.pdf")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'inline; filename="{return_request.rma}.pdf"'
    assert response.content.startswith(b"%PDF")
    assert return_request.rma.encode() in response.content


def test_no_label_while_the_return_waits_for_review(client, order):
    return_request = request_refund(order, reason="other")  # "other" needs review

    html = client.get(f"/returns/r/{return_request.rma}/").content.decode()
    label = client.get(f"/returns/r/{return_request.rma}/label.pdf")

    assert return_request.status == ReturnStatus.REQUESTED
    assert "label.pdf" not in html and "reviewing your request" in html
    assert label.status_code == 404


def test_cancel_asks_first_then_cancels_as_the_customer(client, order):
    return_request = request_refund(order)

    confirm = client.get(f"/returns/r/{return_request.rma}/cancel/")
    done = client.post(f"/returns/r/{return_request.rma}/cancel/")

    return_request.refresh_from_db()
    assert confirm.status_code == 200 and "Yes, cancel the return" in confirm.content.decode()
    assert done.status_code == 302 and done["Location"] == f"/returns/r/{return_request.rma}/"
    assert return_request.status == ReturnStatus.CANCELLED
    event = return_request.events.get(type="cancelled")
    assert event.actor_kind == "customer" and event.actor_label == "ana@example.com"
    html = client.get(done["Location"]).content.decode()
    assert "This return was cancelled" in html and "/cancel/" not in html


def test_a_return_on_its_way_can_no_longer_be_cancelled(client, order):
    return_request = request_refund(order)
    receiving.receive_return(
        return_request=return_request,
        lines=[(return_request.lines.get().pk, 1, "as_new")],
        actor=Actor.system("warehouse"),
    )

    response = client.post(f"/returns/r/{return_request.rma}/cancel/")

    return_request.refresh_from_db()
    assert response.status_code == 302
    assert return_request.status != ReturnStatus.CANCELLED
    assert not return_request.events.filter(type="cancelled").exists()


def test_the_order_page_lists_its_returns(client, order):
    return_request = request_refund(order)

    html = client.get(f"/returns/o/{order.number}/").content.decode()

    assert f'href="/returns/r/{return_request.rma}/"' in html


# --- the statutory withdrawal -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("country", "offered"), [("BR", True), ("DE", True), ("US", False)], ids=str
)
def test_the_withdrawal_button_is_offered_only_where_the_law_gives_the_right(
    client, policy, country, offered
):
    order = delivered(country=country)
    open_order(client, order)

    html = client.get(f"/returns/o/{order.number}/").content.decode()
    form = client.get(f"/returns/o/{order.number}/withdraw/")

    assert ("Withdraw from this purchase" in html) is offered
    assert form.status_code == (200 if offered else 404)


def test_the_withdrawal_button_is_gone_once_the_period_is_over(client, policy):
    order = delivered(country="BR", delivered_days_ago=9)  # Brazil: 7 days
    open_order(client, order)

    html = client.get(f"/returns/o/{order.number}/").content.decode()

    assert "Withdraw from this purchase" not in html
    assert client.get(f"/returns/o/{order.number}/withdraw/").status_code == 404


def test_withdrawing_needs_no_reason_and_shows_the_timestamped_acknowledgement(client, policy):
    order = delivered(country="DE", lines=(("TEE-M", 2),))
    open_order(client, order)
    form = client.get(f"/returns/o/{order.number}/withdraw/").content.decode()
    token = re.search(r'name="form_token" value="([^"]+)"', form).group(1)

    response = client.post(
        f"/returns/o/{order.number}/withdraw/",
        {"form_token": token, f"quantity_{line(order).pk}": "2"},
    )

    return_request = ReturnRequest.objects.get()
    assert response.status_code == 302
    assert return_request.is_withdrawal and return_request.resolution == "refund"
    assert return_request.lines.get().quantity == 2
    acknowledged = return_request.events.get(type="withdrawal_acknowledged").created_at
    html = client.get(response["Location"]).content.decode()
    assert "Withdrawal received" in html
    in_berlin = acknowledged.astimezone(ZoneInfo(zones.customer_time_zone(order)))
    assert in_berlin.utcoffset() and f'datetime="{in_berlin.isoformat()}"' in html
    assert f"at {in_berlin:%H:%M:%S}" in html  # to the second, in the customer's zone


def test_a_final_sale_item_is_withdrawn_through_the_button_not_the_form(client, policy):
    tee_sizes()["S"].__class__.objects.filter(sku="TEE-S").update(is_final_sale=True)
    order = delivered(country="BR", lines=(("TEE-S", 1),))
    open_order(client, order)

    page = client.get(f"/returns/o/{order.number}/").content.decode()
    withdraw = client.get(f"/returns/o/{order.number}/withdraw/").content.decode()

    assert "statutory right of withdrawal" in page
    assert f'name="quantity_{line(order, "TEE-S").pk}"' not in page
    assert f'name="quantity_{line(order, "TEE-S").pk}"' in withdraw


def test_an_order_with_nothing_returnable_lists_its_lines_with_the_reason_why(client, policy):
    tee_sizes()["S"].__class__.objects.filter(sku="TEE-S").update(is_final_sale=True)
    final_sale = delivered(lines=(("TEE-S", 1),))
    withdrawable = delivered(email="bia@example.com", country="BR", lines=(("TEE-S", 1),))

    pages = {}
    for order in (final_sale, withdrawable):
        open_order(client, order)
        pages[order.shipping_address["country"]] = client.get(
            f"/returns/o/{order.number}/"
        ).content.decode()

    assert 'class="rp-chip rp-chip--final_sale"' in pages["US"]
    assert "Final sale items cannot be returned." in pages["US"]
    assert "Nothing in this order can be returned right now." in pages["US"]
    # The statutory withdrawal still takes it back: the line says so, and it is not "nothing".
    assert 'class="rp-chip rp-chip--withdrawal_only"' in pages["BR"]
    assert "Nothing in this order can be returned right now." not in pages["BR"]


# --- the whole way through --------------------------------------------------------------------


def test_a_customer_requests_a_return_from_the_lookup_to_the_cancel(client, policy):
    order = delivered(email="ana@example.com", country="US")

    lookup = client.post(
        "/returns/",
        {"order_number": order.number, "identify_by": "postal_code", "postal_code": "02108"},
    )
    verified = client.post(lookup["Location"], {"code": sent_code(order)})
    page = client.get(verified["Location"]).content.decode()
    token = re.search(r'name="form_token" value="([^"]+)"', page).group(1)
    data = {"form_token": token, "resolution": "store_credit", **choose(order)}
    preview = client.post(f"/returns/o/{order.number}/estimate/", data).content.decode()
    submitted = client.post(f"/returns/o/{order.number}/", {**data, "action": "submit"})
    status_page = client.get(submitted["Location"]).content.decode()
    rma = ReturnRequest.objects.get().rma
    cancelled = client.post(f"/returns/r/{rma}/cancel/")
    final = client.get(cancelled["Location"]).content.decode()

    assert verified["Location"] == f"/returns/o/{order.number}/"
    assert "Estimated store credit" in preview and "USD 22.00" in preview
    assert submitted["Location"] == f"/returns/r/{rma}/"
    assert rma in status_page and "USD 22.00" in status_page
    assert ">Cancelled<" in final


def test_an_instant_exchange_shows_the_replacement_order_with_its_tracking_link(client, order):
    large = tee_sizes()["L"]

    response = client.post(
        f"/returns/o/{order.number}/",
        {
            "form_token": "i" * 32,
            "resolution": "exchange",
            "instant_exchange": "on",
            "action": "submit",
            **choose(order, variant=str(large.pk)),
        },
    )
    return_request = ReturnRequest.objects.get()
    html = client.get(response["Location"]).content.decode()

    assert return_request.is_instant_exchange
    assert return_request.exchange_order is not None
    replacement = return_request.exchange_order.number
    assert f"Your replacement is order {replacement}." in html
    assert f'href="{links.tracking_url(replacement)}"' in html


def test_return_page_queries_are_bounded(client, order, django_assert_max_num_queries):
    return_request = request_refund(order, quantity=2)

    with django_assert_max_num_queries(12):
        assert client.get(f"/returns/r/{return_request.rma}/").status_code == 200
