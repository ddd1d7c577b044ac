"""Issue 8's end-to-end test, in real browsers against a real server: a customer follows the
review link in the email sent after delivery, rates an item, writes a review and adds a photo;
a moderator finds it in the console's review queue, sees the photo and publishes it. The review
is published once, on the order's timeline, and the photo reward is paid once."""

import re
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, User
from django.db import connection
from playwright.sync_api import expect

from feedback.models import Review, ReviewReward
from notifications.models import OutboxMessage
from notifications.rendering import render_email
from orders.models import OrderEvent
from returns.models import StoreCreditEntry
from tests.feedback.asking import asked, delivered_order, feedback_link
from tests.feedback.factories import PNG
from tests.support.money_actions import PASSWORD, ensure_roles

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
SCREENSHOTS = {
    "customer": "/tmp/feedback-review-page.png",
    "queue": "/tmp/feedback-review-queue.png",
    "review": "/tmp/feedback-review-console.png",
    "order": "/tmp/feedback-review-order.png",
}


def in_thread(function):
    """ORM work off the test's thread (Playwright's sync API keeps an event loop there)."""

    def call():
        try:
            return function()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(call).result(timeout=30)


@pytest.fixture
def shop(web_server) -> dict:
    """A delivered order of a tee and a cap, asked for a review (the email rendered as the
    customer gets it), a photo reward in USD and a supervisor who moderates. Written before
    the browser starts (see the chromium fixture)."""
    ensure_roles()
    order = delivered_order()
    asked(order)
    (message,) = OutboxMessage.objects.filter(event_type="feedback.review_requested")
    email = render_email(message)
    ReviewReward.objects.create(currency="USD", amount=Decimal("5.00"))
    marta = User.objects.create_user("marta", password=PASSWORD)
    marta.groups.add(Group.objects.get(name="supervisor"))
    return {"base": web_server, "path": feedback_link(email.text), "number": order.number}


def test_a_customer_reviews_with_a_photo_from_the_email_and_a_moderator_publishes_it(
    shop, chromium
):
    base = shop["base"]

    # --- The customer, from the link in the email.
    customer = chromium.new_context(viewport={"width": 420, "height": 900}, locale="en-US")
    page = customer.new_page()
    page.goto(base + shop["path"])
    tee = page.locator("section.review-item").first
    tee.locator("label.star--4").click()  # the star a finger taps
    expect(tee.get_by_role("radio", name="4 stars")).to_be_checked()
    tee.get_by_label("Your review").fill("Soft cotton, true to size.")
    tee.get_by_label("Photos").set_input_files(
        files=[{"name": "tee.png", "mimeType": "image/png", "buffer": PNG}]
    )
    page.screenshot(path=SCREENSHOTS["customer"], full_page=True)
    page.get_by_role("button", name="Send my feedback").click()
    expect(page.get_by_role("heading", name="Thank you for your feedback!")).to_be_visible()
    review_id = in_thread(lambda: Review.objects.get().pk)

    # --- The moderator, in the console.
    console = chromium.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US")
    mod = console.new_page()
    mod.goto(f"{base}/console/login/?next=/console/feedback/reviews/")
    mod.fill("input[name=username]", "marta")
    mod.fill("input[name=password]", PASSWORD)
    mod.get_by_role("button", name="Sign in").click()
    mod.wait_for_url(re.compile(r"/console/feedback/reviews/$"))
    row = mod.locator(f"tr[data-review='{review_id}']")
    expect(row).to_contain_text("Soft cotton")
    expect(row.locator("[data-photos]")).to_have_text("1 photo")
    mod.screenshot(path=SCREENSHOTS["queue"], full_page=True)
    row.get_by_role("link").first.click()
    mod.wait_for_url(re.compile(rf"/console/feedback/reviews/{review_id}/$"))
    photo = mod.locator("img[data-photo]")
    expect(photo).to_be_visible()
    mod.wait_for_function(  # the photo really loads (served after the permission check)
        "() => { const img = document.querySelector('img[data-photo]');"
        " return img && img.complete && img.naturalWidth === 1; }"
    )
    mod.locator("[data-action=publish]").click()
    expect(mod.locator("#review-status")).to_have_attribute("data-status", "published")
    expect(mod.locator("#flash")).to_contain_text("The review is published.")
    mod.screenshot(path=SCREENSHOTS["review"], full_page=True)

    # --- The order page: the review in the feedback panel and the decision on the timeline.
    mod.goto(f"{base}/console/orders/{shop['number']}/")
    panel = mod.locator("[data-panel=feedback]")
    expect(panel).to_contain_text("Soft cotton, true to size.")
    expect(panel).to_contain_text("Published")
    expect(mod.locator("#timeline li[data-step=review_published]")).to_contain_text("marta")
    panel.scroll_into_view_if_needed()
    mod.screenshot(path=SCREENSHOTS["order"], full_page=True)

    def outcome():
        review = Review.objects.get(pk=review_id)
        steps = list(
            OrderEvent.objects.filter(
                type=OrderEvent.Type.FEEDBACK, data__step__isnull=False
            ).values_list("data__step", "actor_label")
        )
        credit = list(StoreCreditEntry.objects.values_list("kind", "reference", "amount"))
        return review.status, review.body, steps, credit, review.line_id

    status, body, steps, credit, line_id = in_thread(outcome)
    assert (status, body) == ("published", "Soft cotton, true to size.")
    assert steps == [("review_published", "marta")]
    assert credit == [("review_reward", f"review:{line_id}", Decimal("5.00"))]
