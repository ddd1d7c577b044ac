"""Seed the demo store's feedback through the feedback services, in time order, as history.

Each step runs at its own moment on the simulated clock (a heap of steps, like the returns
demo), so timestamps and ids move forward together. Outbox rows are history (seed_demo's
`dispatch.history_import()`): nobody is emailed. Idempotent: a store that already has feedback
requests only gets its rules checked and its product pairs rebuilt.

What it makes believable: about a third of the asked customers answer; NPS and ratings drop
for orders that needed a support case, and reviews of those orders often say the item arrived
damaged; most reviews are published by the supervisor, a few are rejected with a reason, the
last days' reviews wait in the moderation queue; some photo reviews earn the store-credit
reward; a handful of customers came through a friend's referral link.
"""

import contextlib
import heapq
import itertools
import random
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal

from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import F

from feedback import links
from feedback.models import (
    ConsumableProduct,
    FeedbackRequest,
    ReferralReward,
    RequestDelay,
    Review,
    ReviewReward,
)
from feedback.services import (
    moderation,
    recommendations,
    referrals,
    replenishment,
    reviews,
    surveys,
)
from feedback.services import requests as feedback_requests
from notifications.models import OutboxMessage
from oms.actors import Actor
from oms.exceptions import DomainError
from orders.demo.clock import SimulatedClock
from orders.models import Order, Product
from returns.demo.seed import _png
from support.models import Case

SEED_SALT = "feedback"
ANSWER_RATE = 0.35
REVIEW_RATE = 0.75  # of the answered requests' lines
PHOTO_RATE = 0.15
REJECT_RATE = 0.05
PENDING_DAYS = 3  # reviews written in the last days still wait for a moderator
REFERRALS = 14
# Orders a referred friend does not place through the storefront's checkout.
NOT_REFERRED_CHANNELS = (
    Order.Channel.CSR,
    Order.Channel.EXCHANGE,
    Order.Channel.REPLACEMENT,
)

DELAYS = {"": 7, "footwear": 14, "outdoor": 14}
REVIEW_REWARDS = {"USD": "5.00", "EUR": "5.00", "BRL": "25.00"}
REFERRAL_REWARDS = {"USD": ("10.00", "10.00"), "EUR": ("10.00", "10.00"), "BRL": ("50.00", "50.00")}
CONSUMABLES = {"sck-ank": 90, "sck-mer": None, "cnd-ced": 45}  # product slugs

TEXTS = {
    "en": {
        5: [
            ("Love it", "Exactly as pictured and the quality is great. Would buy again."),
            ("Perfect", "Fits well, feels sturdy, arrived quickly."),
        ],
        4: [("Very good", "Nice quality, runs a little small."), ("Good buy", "Does the job.")],
        3: [("OK", "Fine, but the colour is duller than on the site.")],
        2: [("Disappointed", "The stitching came loose after two weeks.")],
        1: [("Not good", "Poor quality for the price.")],
        "damaged": [
            ("Arrived damaged", "The box was crushed and the item arrived damaged."),
            ("Broken on arrival", "It came broken; the parcel had clearly been dropped."),
        ],
        "nps": ["Quick delivery, thanks!", "Easy to order.", "Took too long to arrive.", ""],
        "return": ["The label and refund were quick.", "Took a while to get my money back.", ""],
    },
    "pt-br": {
        5: [
            ("Adorei", "Igual à foto e a qualidade é ótima. Compraria de novo."),
            ("Perfeito", "Veste bem, é resistente e chegou rápido."),
        ],
        4: [("Muito bom", "Boa qualidade, veste um pouco pequeno."), ("Boa compra", "Cumpre.")],
        3: [("Ok", "Tudo certo, mas a cor é mais apagada que no site.")],
        2: [("Decepcionado", "A costura soltou depois de duas semanas.")],
        1: [("Ruim", "Qualidade fraca pelo preço.")],
        "damaged": [
            ("Chegou danificado", "A caixa veio amassada e o produto chegou danificado."),
            ("Chegou quebrado", "Veio quebrado; o pacote claramente caiu."),
        ],
        "nps": ["Entrega rápida, obrigado!", "Fácil de comprar.", "Demorou para chegar.", ""],
        "return": ["Etiqueta e reembolso rápidos.", "Demorou para receber o dinheiro.", ""],
    },
}


def ensure_rules() -> None:
    """The admin's rules as a new store would set them (idempotent)."""
    for category, days in DELAYS.items():
        RequestDelay.objects.get_or_create(category=category, defaults={"delay_days": days})
    for currency, amount in REVIEW_REWARDS.items():
        ReviewReward.objects.get_or_create(currency=currency, defaults={"amount": Decimal(amount)})
    for currency, (referrer, friend) in REFERRAL_REWARDS.items():
        ReferralReward.objects.get_or_create(
            currency=currency,
            defaults={"referrer_amount": Decimal(referrer), "friend_amount": Decimal(friend)},
        )
    for product in Product.objects.filter(slug__in=CONSUMABLES):
        ConsumableProduct.objects.get_or_create(
            product=product, defaults={"reorder_interval_days": CONSUMABLES[product.slug]}
        )


class FeedbackDemo:
    def __init__(self, *, rng: random.Random, clock: SimulatedClock, now: datetime, users: dict):
        self.rng = rng
        self.clock = clock
        self.now = now
        self.moderator: User = users.get("supervisor") or next(iter(users.values()))
        self.steps: list[tuple[datetime, int, Callable[[], None]]] = []
        self.counter = itertools.count()
        self.with_case = set(Case.objects.exclude(order=None).values_list("order_id", flat=True))
        self.counts = {"requests": 0, "answers": 0, "reviews": 0, "published": 0, "rejected": 0}

    def at(self, when: datetime, step: Callable[[], None]) -> None:
        if when <= self.now:
            heapq.heappush(self.steps, (when, next(self.counter), step))

    def run(self) -> None:
        while self.steps:
            when, _n, step = heapq.heappop(self.steps)
            self.clock.at = when
            # A refusal the real service would show a customer: the demo moves on.
            with contextlib.suppress(DomainError):
                step()

    # --- requests and answers -------------------------------------------------------------

    def plan_requests(self) -> None:
        feedback_requests.schedule_review_requests(now=self.now, limit=100_000)
        feedback_requests.schedule_return_surveys(now=self.now, limit=100_000)
        for request in FeedbackRequest.objects.filter(
            status=FeedbackRequest.Status.SCHEDULED, scheduled_for__lte=self.now
        ).order_by("scheduled_for", "pk"):
            self.at(request.scheduled_for, lambda pk=request.pk: self.send(pk))

    def send(self, request_id: int) -> None:
        request = feedback_requests.send_request(request_id, now=self.clock.at)
        if request is None or request.status != FeedbackRequest.Status.SENT:
            return
        self.counts["requests"] += 1
        if self.rng.random() < ANSWER_RATE:
            answer_at = self.clock.at + timedelta(hours=self.rng.uniform(1, 72))
            self.at(answer_at, lambda: self.answer(request_id))

    def answer(self, request_id: int) -> None:
        request = FeedbackRequest.objects.select_related("order").get(pk=request_id)
        token = links.request_token(request.pk, request.nonce)
        texts = TEXTS["pt-br" if request.order.locale.lower().startswith("pt") else "en"]
        troubled = request.order_id in self.with_case
        self.counts["answers"] += 1
        if request.kind == FeedbackRequest.Kind.RETURN_SURVEY:
            score = self.rng.choice([2, 3, 4, 4, 5, 5] if troubled else [3, 4, 5, 5, 5])
            surveys.answer_return_survey(
                token=token, score=score, comment=self.rng.choice(texts["return"])
            )
            return
        items = []
        for line in feedback_requests.reviewable_lines(request.order):
            if self.rng.random() >= REVIEW_RATE:
                continue
            damaged = troubled and self.rng.random() < 0.4
            rating = self.rating(troubled, damaged)
            title, body = self.rng.choice(texts["damaged"] if damaged else texts[rating])
            photos = []
            if self.rng.random() < (PHOTO_RATE * 3 if damaged else PHOTO_RATE):
                photos = [SimpleUploadedFile("photo.png", _png(), content_type="image/png")]
            items.append(
                reviews.ReviewInput(
                    line_id=line.pk, rating=rating, title=title, body=body, photos=photos
                )
            )
        nps = self.rng.choice([3, 5, 6, 7, 8, 9] if troubled else [7, 8, 9, 9, 10, 10, 10])
        answer = reviews.answer_review_request(
            token=token,
            reviews=items,
            nps_score=nps,
            nps_comment=self.rng.choice(texts["nps"]),
        )
        for review in answer.reviews:
            self.counts["reviews"] += 1
            decide_at = self.clock.at + timedelta(hours=self.rng.uniform(2, 30))
            if decide_at < self.now - timedelta(days=PENDING_DAYS):
                self.at(decide_at, lambda pk=review.pk: self.moderate(pk))

    def rating(self, troubled: bool, damaged: bool) -> int:
        if damaged:
            return self.rng.choice([1, 1, 2])
        weights = [1, 2, 4, 8, 10] if troubled else [1, 1, 3, 10, 20]
        return self.rng.choices([1, 2, 3, 4, 5], weights=weights)[0]

    def moderate(self, review_id: int) -> None:
        review = Review.objects.get(pk=review_id)
        if self.rng.random() < REJECT_RATE:
            moderation.reject_review(
                review_id,
                user=self.moderator,
                reason_code=self.rng.choice(
                    [Review.RejectionReason.OFF_TOPIC, Review.RejectionReason.PERSONAL_DATA]
                ),
            )
            self.counts["rejected"] += 1
            return
        moderation.publish_review(review_id, user=self.moderator)
        self.counts["published"] += 1
        if review.rating <= 2:
            moderation.reply_to_review(
                review_id,
                user=self.moderator,
                text="We're sorry to hear that. Our team has contacted you to make it right.",
            )

    # --- referrals ----------------------------------------------------------------------------

    def plan_referrals(self) -> None:
        """A few customers whose first order came through a friend's link, recorded when it was
        placed; the reward follows the first delivery (settled as the periodic job would)."""
        firsts = _first_orders()
        self.rng.shuffle(firsts)
        customer_ids = [customer_id for _pk, customer_id, _at in firsts]
        for order_id, customer_id, placed_at in firsts[:REFERRALS]:
            referrer_id = self.rng.choice([c for c in customer_ids if c != customer_id])
            code = referrals.code_for(referrer_id).code
            self.at(placed_at, lambda o=order_id, c=code: self.refer(o, c))
        self.at(self.now, self.settle_referrals)

    def refer(self, order_id: int, code: str) -> None:
        referrals.record_referral(
            code=code, order=Order.objects.get(pk=order_id), actor=Actor.system("storefront")
        )

    def settle_referrals(self) -> None:
        self.counts["referrals"] = referrals.reward_referrals(limit=1000)["rewarded"]


def _first_orders() -> list[tuple[int, int, datetime]]:
    seen: dict[int, tuple[int, int, datetime]] = {}
    for row in (
        Order.objects.exclude(channel__in=NOT_REFERRED_CHANNELS)
        .order_by("created_at", "pk")
        .values_list("pk", "customer_id", "created_at")
    ):
        seen.setdefault(row[1], row)
    return list(seen.values())


def seed_feedback(*, clock: SimulatedClock, now: datetime, users: dict, stdout) -> str:
    ensure_rules()
    if FeedbackRequest.objects.exists():
        pairs = recommendations.rebuild_product_pairs(now=now)
        return f"feedback exists; {pairs} product pairs rebuilt"
    # What the steps emit is history: marked dispatched below, like the returns demo's.
    pending_before = set(
        OutboxMessage.objects.filter(dispatched_at__isnull=True).values_list("pk", flat=True)
    )
    demo = FeedbackDemo(
        rng=random.Random(f"{SEED_SALT}:{Order.objects.count()}"), clock=clock, now=now, users=users
    )
    demo.plan_requests()
    demo.plan_referrals()
    demo.run()
    clock.at = now
    pairs = recommendations.rebuild_product_pairs(now=now)
    replenishment.refresh_observed_intervals(now=now)
    reminders = replenishment.schedule_reminders(now=now)
    OutboxMessage.objects.filter(dispatched_at__isnull=True).exclude(pk__in=pending_before).update(
        dispatched_at=F("created_at")
    )
    counts = demo.counts
    return (
        f"{counts['requests']} requests sent, {counts['answers']} answered, "
        f"{counts['reviews']} reviews ({counts['published']} published, "
        f"{counts['rejected']} rejected, the rest waiting), {counts.get('referrals', 0)} "
        f"referrals rewarded, {pairs} product pairs, {reminders} reorder reminders scheduled"
    )
