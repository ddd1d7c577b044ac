"""Building the demo cases and their timelines in memory, then writing them in bulk inserts."""

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction

from oms.actors import Actor, ActorKind
from orders.models import Customer, Order
from support.demo.facts import OrderFacts, order_facts
from support.demo.script import (
    ANSWER_SHARE,
    CANCEL_ACTION,
    CASES_PER_ORDER,
    CHANNELS,
    CONTACT_WEIGHT,
    OPEN_SHARE,
    ORDERLESS_REASONS,
    ORDERLESS_SHARE,
    REASONS_BY_SITUATION,
    REPEAT_CASE_SHARE,
    REPEAT_CONTACT_SHARE,
    REPEAT_NOTES,
    SCRIPTS,
    SURVEY_COMMENTS,
    SURVEY_SHARE,
    R,
)
from support.models import Case, CaseEvent

SEED_SALT = "cases"
BATCH = 500


@dataclass
class DemoCase:
    """One case and its timeline, before they are written."""

    case: Case
    events: list[tuple[datetime, CaseEvent]] = field(default_factory=list)

    def add(self, at: datetime, event_type: str, actor: Actor, text: str = "", **data) -> None:
        event = CaseEvent(type=event_type, text=text, data=data, **actor.as_fields())
        self.events.append((at, event))


def _pick(rng: random.Random, weights: dict) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


class CaseHistory:
    """Builds the demo cases in memory, then writes them in a few bulk inserts."""

    def __init__(
        self, *, rng: random.Random, now: datetime, users: dict, emails: dict[int, str]
    ) -> None:
        self.rng, self.now, self.emails = rng, now, emails
        self.agents = [Actor.for_user(users["agent"])] * 4 + [Actor.for_user(users["supervisor"])]
        self.users = {users[name].pk: users[name] for name in ("agent", "supervisor")}
        self.built: list[DemoCase] = []

    def build(self, count: int, facts: list[OrderFacts], customer_ids: list[int]) -> None:
        """About `count` cases: most about orders drawn by how likely their situation is to
        make a customer call (weighted sampling without replacement), repeats included, and
        a tenth about no order."""
        rng = self.rng
        orderless = round(count * ORDERLESS_SHARE) if customer_ids else 0
        # Efraimidis-Spirakis: each order's key is u^(1/weight); the highest keys win.
        ranked = sorted(
            facts,
            key=lambda f: rng.random() ** (1 / CONTACT_WEIGHT[f.situation(self.now)]),
            reverse=True,
        )
        for facts_of_order in ranked:
            if len(self.built) >= count - orderless:
                break
            self.case_about_order(facts_of_order)
        for _ in range(orderless):
            self.case_without_order(rng.choice(customer_ids))
        self.keep_recent_ones_open(max(1, round(count * OPEN_SHARE)))

    def _when(self, start: datetime, low_hours: float, high_hours: float) -> datetime:
        """A time `low_hours` to `high_hours` after `start`; one that would fall in the future
        is drawn again from the time there has been since `start`."""
        at = start + timedelta(hours=self.rng.uniform(low_hours, high_hours))
        latest = self.now - timedelta(minutes=self.rng.uniform(5, 90))
        if at > latest:
            at = start + (latest - start) * self.rng.random()
        return at

    def opened_at(self, facts: OrderFacts, situation: str) -> datetime:
        order, rng = facts.order, self.rng
        shipped = [s["shipped_at"] for s in facts.shipments if s["shipped_at"]]
        delivered = [s["delivered_at"] for s in facts.shipments if s["delivered_at"]]
        if situation == "delivered" and delivered and rng.random() < 0.85:
            return self._when(max(delivered), 2, 96)
        if situation in ("exception", "late", "in_transit") and shipped:
            return self._when(min(shipped), 24, 24 * 6)
        return self._when(order["created_at"], 0.3, 30)

    def case_about_order(self, facts: OrderFacts) -> None:
        rng = self.rng
        situation = facts.situation(self.now)
        cancelled = facts.cancelled
        if situation == "cancelled" and cancelled and rng.random() < 0.8:
            # The customer asked for the cancellation the agent made: link the two.
            opened = cancelled["created_at"] - timedelta(minutes=rng.uniform(3, 25))
            reason = R.CANCEL
        else:
            reason = _pick(rng, REASONS_BY_SITUATION[situation])
            opened = self.opened_at(facts, situation)
        if opened <= facts.order["created_at"]:
            opened = facts.order["created_at"] + timedelta(minutes=rng.uniform(5, 60))
        if opened >= self.now:
            return
        shipment = (
            next((s for s in facts.shipments if s["shipped_at"]), None)
            if reason in (R.WHERE_IS_MY_ORDER, R.DELAY, R.DAMAGED, R.MISSING_ITEM)
            else None
        )
        demo = self.make(
            customer_id=facts.order["customer_id"],
            order=facts.order,
            shipment=shipment,
            reason=reason,
            opened=opened,
            cancelled=cancelled if reason == R.CANCEL else None,
        )
        case = demo.case
        if (
            case.status == Case.Status.RESOLVED
            and situation in ("exception", "late", "delivered")
            and rng.random() < REPEAT_CASE_SHARE * 3
        ):
            # The customer came back about the same order within the week: not an FCR.
            again = case.resolved_at + timedelta(hours=rng.uniform(10, 24 * 6))
            if again < self.now - timedelta(hours=1):
                self.make(
                    customer_id=facts.order["customer_id"],
                    order=facts.order,
                    shipment=shipment,
                    reason=reason
                    if rng.random() < 0.7
                    else _pick(rng, REASONS_BY_SITUATION[situation]),
                    opened=again,
                )

    def case_without_order(self, customer_id: int) -> None:
        opened = self.now - timedelta(days=self.rng.uniform(0.2, 60))
        self.make(
            customer_id=customer_id,
            order=None,
            shipment=None,
            reason=_pick(self.rng, ORDERLESS_REASONS),
            opened=opened,
        )

    def make(
        self,
        *,
        customer_id: int,
        order: dict | None,
        shipment: dict | None,
        reason: str,
        opened: datetime,
        cancelled: dict | None = None,
    ) -> DemoCase:
        rng = self.rng
        channel = _pick(rng, CHANNELS)
        if cancelled is not None:  # the agent's cancellation says how the customer asked
            said = cancelled["reason"].lower()
            channel = next((c for c in ("chat", "phone", "email") if c in said), channel)
        subject, note, resolution = rng.choice(SCRIPTS[reason])
        number = order["number"] if order else ""
        subject = subject.format(order=number, shipment=shipment["number"] if shipment else number)
        actor = self.agents[rng.randrange(len(self.agents))]
        if cancelled is not None:
            actor = Actor(
                kind=ActorKind.STAFF,
                label=cancelled["actor_label"],
                user_id=cancelled["actor_user_id"],
            )
        user = self.users.get(actor.user_id)
        case = Case(
            customer_id=customer_id,
            order_id=order["pk"] if order else None,
            shipment_id=shipment["pk"] if shipment else None,
            channel=channel,
            reason=reason,
            subject=subject[:200],
            opened_by=user,
            assigned_to=user,
            opened_at=opened,
            last_contact_at=opened,
        )
        demo = DemoCase(case)
        demo.add(opened, CaseEvent.Type.OPENED, actor, subject, channel=channel, reason=reason)
        at = opened + timedelta(minutes=rng.uniform(1, 6))
        if note:
            demo.add(at, CaseEvent.Type.NOTE, actor, note)
        fast = channel in ("phone", "chat")
        resolved = opened + timedelta(hours=rng.uniform(0.1, 1.5) if fast else rng.uniform(2, 40))
        if cancelled is not None:
            resolved = cancelled["created_at"] + timedelta(minutes=rng.uniform(1, 10))
            demo.add(
                cancelled["created_at"],
                CaseEvent.Type.ACTION,
                actor,
                CANCEL_ACTION.format(reason=cancelled["reason"]),
                action="cancel_order",
            )
            demo.events[-1][1].order_id = order["pk"]
        contacts, status = 1, "open"
        if cancelled is None and rng.random() < REPEAT_CONTACT_SHARE:
            if not fast and rng.random() < 0.5:
                demo.add(
                    at + timedelta(minutes=1),
                    CaseEvent.Type.STATUS,
                    actor,
                    **{"from": "open", "to": "waiting"},
                )
                status = "waiting"
            contacts = rng.choice((2, 2, 2, 3))
            for contact in range(2, contacts + 1):
                resolved += timedelta(hours=rng.uniform(6, 40))
                again = resolved - timedelta(hours=rng.uniform(0.5, 4))
                demo.add(
                    again,
                    CaseEvent.Type.CONTACT,
                    actor,
                    rng.choice(REPEAT_NOTES),
                    channel=_pick(rng, CHANNELS),
                    contact_count=contact,
                )
                case.last_contact_at = again
            case.contact_count = contacts
        limit = self.now - timedelta(minutes=rng.uniform(10, 60))
        if cancelled is None and resolved > limit and limit - opened > timedelta(minutes=20):
            resolved = self.squeeze(demo, opened, resolved, limit)
        if resolved < limit:
            case.status, case.resolved_at, case.resolution = "resolved", resolved, resolution
            demo.add(
                resolved,
                CaseEvent.Type.STATUS,
                actor,
                resolution,
                **{"from": status, "to": "resolved"},
            )
            self.survey(demo, actor, resolved)
        self.built.append(demo)
        return demo

    @staticmethod
    def squeeze(demo: DemoCase, opened: datetime, resolved: datetime, limit: datetime) -> datetime:
        """A recent case's timeline, shortened so that it ends before `limit`: nothing may
        happen in the future. Which recent cases stay open is decided afterwards."""
        scale = (limit - opened) / (resolved - opened)
        demo.events = [(opened + (at - opened) * scale, event) for at, event in demo.events]
        case = demo.case
        case.last_contact_at = opened + (case.last_contact_at - opened) * scale
        return opened + (resolved - opened) * scale * 0.98

    def survey(self, demo: DemoCase, actor: Actor, resolved: datetime) -> None:
        rng, case = self.rng, demo.case
        if rng.random() >= SURVEY_SHARE:
            return
        case.csat_sent_at = resolved
        demo.add(resolved, CaseEvent.Type.SURVEY_SENT, actor)
        answered = resolved + timedelta(hours=rng.uniform(1, 72))
        if rng.random() >= ANSWER_SHARE or answered >= self.now:
            return
        happy = case.contact_count == 1
        score = rng.choices(
            (5, 4, 3, 2, 1), weights=(55, 30, 9, 4, 2) if happy else (8, 17, 30, 27, 18)
        )[0]
        comment = rng.choice(SURVEY_COMMENTS[score])
        case.csat_score, case.csat_comment, case.csat_answered_at = score, comment, answered
        demo.add(
            answered,
            CaseEvent.Type.SURVEY_ANSWERED,
            Actor(kind=ActorKind.CUSTOMER, label=self.emails.get(case.customer_id, "customer")),
            comment,
            score=score,
        )

    def keep_recent_ones_open(self, count: int) -> None:
        """The newest few cases are still being worked on: open, or waiting on the customer."""
        recent = sorted(self.built, key=lambda demo: demo.case.opened_at, reverse=True)
        for demo in recent[:count]:
            case = demo.case
            case.resolved_at, case.resolution = None, ""
            case.csat_sent_at = case.csat_score = case.csat_answered_at = None
            case.csat_comment = ""
            demo.events = [
                (at, event)
                for at, event in demo.events
                if event.type not in (CaseEvent.Type.SURVEY_SENT, CaseEvent.Type.SURVEY_ANSWERED)
                and not (event.type == CaseEvent.Type.STATUS and event.data.get("to") == "resolved")
            ]
            changes = [e.data["to"] for _, e in demo.events if e.type == CaseEvent.Type.STATUS]
            case.status = changes[-1] if changes else "open"
            if case.status == "open" and self.rng.random() < 0.3:
                case.status = "waiting"  # asked the customer for a photo, an address...
                demo.add(
                    case.last_contact_at + timedelta(minutes=2),
                    CaseEvent.Type.STATUS,
                    Actor.for_user(case.opened_by) if case.opened_by else self.agents[0],
                    **{"from": "open", "to": "waiting"},
                )

    @transaction.atomic
    def write(self) -> int:
        demos = sorted(self.built, key=lambda demo: (demo.case.opened_at, id(demo)))
        cases = Case.objects.bulk_create([demo.case for demo in demos], batch_size=BATCH)
        events, stamps = [], []
        for demo, case in zip(demos, cases, strict=True):
            for at, event in sorted(demo.events, key=lambda item: item[0]):
                event.case = case
                events.append(event)
                stamps.append(min(at, self.now))
        created = CaseEvent.objects.bulk_create(events, batch_size=BATCH)
        # created_at is auto_now_add: the insert stamps "now"; history gets its own times.
        for event, at in zip(created, stamps, strict=True):
            event.created_at = at
        CaseEvent.objects.bulk_update(created, ["created_at"], batch_size=BATCH)
        return len(cases)


def seed_cases(*, rng: random.Random, now: datetime, users: dict) -> str:
    """Demo cases up to CASES_PER_ORDER per order, about orders that have none yet (so a second
    run adds nothing). Returns a one-line summary."""
    orders = Order.objects.count()
    target = round(orders * CASES_PER_ORDER)
    existing = Case.objects.count()
    if existing >= target:
        return f"{existing} exist (target {target}); none generated"
    facts = order_facts(exclude_with_cases=existing > 0)
    customer_ids = sorted({f.order["customer_id"] for f in facts})
    emails = dict(Customer.objects.filter(pk__in=customer_ids).values_list("pk", "email"))
    history = CaseHistory(rng=rng, now=now, users=users, emails=emails)
    history.build(target - existing, facts, customer_ids)
    written = history.write()
    still_open = Case.objects.exclude(status=Case.Status.RESOLVED).count()
    return f"{written} generated ({still_open} open)"
