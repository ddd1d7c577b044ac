"""A Hypothesis state machine over one delivered order: returns of random lines and quantities,
partial receipts, scans, inspections, refund releases, staff refunds of random amounts, price
adjustments and cancellations, in any order. Whatever happens, no money is refunded beyond
what was captured, the money held is exactly what the order is still owed, no return moves more
than its estimate, and no line is returned beyond what shipped. Runs on SQLite and PostgreSQL.

Each example runs in a savepoint rolled back at its end. Gateway calls normally run after
commit, which a test transaction never reaches, so after every step the machine settles the
order's payments itself, as the on-commit callback would."""

from decimal import Decimal

import pytest
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from oms.exceptions import DomainError
from orders.models import Order, OrderLine, Payment, PaymentTransaction, SandboxCharge
from orders.services import adjustments, payments
from returns.models import ReturnLine, ReturnRefund, ReturnRequest
from returns.policy import RequestedLine
from returns.services import receiving, refunds, requests, transitions
from tests.returns.lifecycle_builders import ACTOR, delivered_order, store_policy

D = Decimal
LINES = (("TEE-M", 3), ("CAP", 2, "15.00"), ("MUG", 1, "9.99"))  # + 5.00 shipping: 104.99
REASONS = ("size_too_small", "no_longer_wanted", "other")  # plain, 10 % fee, needs review
MONEY_KINDS = ("refund", "exchange_difference")
CREDIT_KINDS = ("store_credit", "bonus")


class ReturnsMoney(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.savepoint = transaction.atomic()
        self.savepoint.__enter__()
        self.order: Order | None = None
        self.returns: list[int] = []
        self.scans = 0
        self.staff_references = 0
        self.adjustments = 0

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self.savepoint.__exit__(None, None, None)

    # --- setup ------------------------------------------------------------------------------

    @initialize(
        release=st.sampled_from(["receipt", "first_scan", "inspection"]),
        bonus=st.sampled_from([D(0), D(10)]),
        fee=st.sampled_from([D(0), D("4.00")]),
        # Most often a return of most of the order, so that later price adjustments leave
        # the order costing less than the return's estimate (the bound that matters then is
        # what is still captured).
        picks=st.lists(
            st.tuples(st.integers(0, 2), st.integers(3, 6), st.sampled_from(REASONS[:2])),
            min_size=2,
            max_size=3,
            unique_by=lambda pick: pick[0],
        ),
        resolution=st.sampled_from(["refund", "store_credit"]),
    )
    def delivered_with_a_return(self, release, bonus, fee, picks, resolution):
        policy = store_policy(
            refund_release=release, store_credit_bonus_percent=bonus, return_shipping_fee=fee
        )
        policy.reason_rules.filter(reason="no_longer_wanted").update(
            return_shipping_paid_by="customer"
        )
        self.order = delivered_order(LINES)
        self.lines = list(self.order.lines.order_by("line_number"))
        self.request_return(picks, resolution)

    # --- helpers ----------------------------------------------------------------------------

    def settle(self) -> None:
        payments.settle_payments(order_id=self.order.pk, actor=ACTOR, reason="state machine")

    def attempt(self, work) -> None:
        """Run a step; a refusal is a fine outcome (and must have changed nothing)."""
        try:
            with transaction.atomic():
                work()
        except DomainError:
            pass
        self.settle()

    def pick(self, index: int) -> ReturnRequest | None:
        if not self.returns:
            return None
        return ReturnRequest.objects.get(pk=self.returns[index % len(self.returns)])

    # --- rules ------------------------------------------------------------------------------

    @rule(
        picks=st.lists(
            st.tuples(st.integers(0, 2), st.integers(1, 3), st.sampled_from(REASONS)),
            min_size=1,
            max_size=3,
            unique_by=lambda pick: pick[0],
        ),
        resolution=st.sampled_from(["refund", "store_credit"]),
    )
    def request_return(self, picks, resolution):
        def work():
            r = requests.request_return(
                order=self.order,
                lines=[
                    RequestedLine(
                        order_line_id=self.lines[index].pk,
                        quantity=1 + (quantity - 1) % self.lines[index].quantity,
                        reason=reason,
                    )
                    for index, quantity, reason in picks
                ],
                resolution=resolution,
                actor=ACTOR,
                via="console",
            )
            self.returns.append(r.pk)

        self.attempt(work)

    @precondition(lambda self: bool(self.returns))
    @rule(index=st.integers(0, 9))
    def approve(self, index):
        r = self.pick(index)
        if r is not None:
            self.attempt(lambda: transitions.approve_return(return_request=r, actor=ACTOR))

    @precondition(lambda self: bool(self.returns))
    @rule(index=st.integers(0, 9))
    def scan(self, index):
        r = self.pick(index)
        if r is None or not r.tracking_number:
            return
        self.scans += 1
        self.attempt(
            lambda: receiving.record_return_scan(
                tracking_number=r.tracking_number,
                status="in_transit",
                occurred_at=timezone.now(),
                actor=ACTOR,
                carrier_event_id=f"scan-{self.scans}",
            )
        )

    @precondition(lambda self: bool(self.returns))
    @rule(index=st.integers(0, 9), line=st.integers(0, 2), quantity=st.integers(1, 3))
    def receive(self, index, line, quantity):
        r = self.pick(index)
        if r is None:
            return
        lines = list(r.lines.order_by("pk"))
        target = lines[line % len(lines)]
        self.attempt(
            lambda: receiving.receive_return(
                return_request=r, lines=[(target.pk, quantity, "as_new")], actor=ACTOR
            )
        )

    @precondition(lambda self: bool(self.returns))
    @rule(index=st.integers(0, 9), disposition=st.sampled_from(["restock", "damaged"]))
    def inspect(self, index, disposition):
        r = self.pick(index)
        if r is None:
            return
        received = r.lines.filter(quantity_received__gt=0).order_by("pk")
        self.attempt(
            lambda: receiving.inspect_return(
                return_request=r,
                lines=[(line.pk, disposition) for line in received],
                actor=ACTOR,
            )
        )

    @precondition(lambda self: bool(self.returns))
    @rule(index=st.integers(0, 9))
    def release(self, index):
        r = self.pick(index)
        if r is not None:
            self.attempt(lambda: refunds.release_refund(return_request=r, actor=ACTOR))

    @precondition(lambda self: bool(self.returns))
    @rule(
        index=st.integers(0, 9),
        cents=st.one_of(st.integers(1, 12000), st.just("rest")),
        retry=st.booleans(),
    )
    def staff_refund(self, index, cents, retry):
        """A staff refund of a random amount, or of everything the return has left."""
        r = self.pick(index)
        if cents == "rest":
            amount = r.estimated_total - r.refunded_amount - r.credited_amount
        else:
            amount = D(cents) / 100
        if not retry or self.staff_references == 0:
            self.staff_references += 1
        self.attempt(
            lambda: refunds.refund_return_amount(
                return_request=r,
                amount=amount,
                actor=ACTOR,
                reason="staff",
                idempotency_reference=f"staff-{self.staff_references}",
            )
        )

    @precondition(lambda self: bool(self.returns))
    @rule(index=st.integers(0, 9))
    def cancel(self, index):
        r = self.pick(index)
        if r is not None:
            self.attempt(lambda: transitions.cancel_return(return_request=r, actor=ACTOR))

    @precondition(lambda self: self.adjustments < 3)
    @rule(cents=st.integers(1, 6000))
    def adjust_price(self, cents):
        """A price adjustment of at most what the order costs beyond its return refunds
        (adjustments do not check that themselves yet: see the report)."""
        self.adjustments += 1
        order = Order.objects.get(pk=self.order.pk)
        amount = min(D(cents) / 100, order.total - order.refunded_for_returns)
        if amount <= 0:
            return
        self.attempt(
            lambda: adjustments.apply_price_adjustment(
                order=self.order,
                amount=amount,
                reason_code="price_match",
                note="state machine",
                actor=ACTOR,
            )
        )

    # --- invariants -------------------------------------------------------------------------

    @invariant()
    def never_refunds_more_than_captured(self):
        if self.order is None:
            return
        order = Order.objects.get(pk=self.order.pk)
        sums = Payment.objects.filter(order=order).aggregate(
            captured=Sum("amount_captured"), refunded=Sum("amount_refunded")
        )
        captured, refunded = sums["captured"] or D(0), sums["refunded"] or D(0)
        assert refunded <= captured
        assert order.refunded_for_returns <= captured
        # The gateway agrees with the ledger, and every call it got went through.
        references = Payment.objects.filter(order=order).values_list("reference", flat=True)
        charges = SandboxCharge.objects.filter(reference__in=references)
        assert sum((c.refunded for c in charges), D(0)) == refunded
        assert not PaymentTransaction.objects.filter(
            payment__order=order,
            status__in=[PaymentTransaction.Status.PENDING, PaymentTransaction.Status.FAILED],
        ).exists()
        # Returns never give back more than the order still costs, and the money held is
        # exactly what the order is still owed.
        assert order.refunded_for_returns <= order.total
        assert captured - refunded == order.total - order.refunded_for_returns

    @invariant()
    def returns_stay_within_their_estimate(self):
        if self.order is None:
            return
        rows = {}
        for return_id, kind, amount in ReturnRefund.objects.filter(
            return_request__order_id=self.order.pk
        ).values_list("return_request_id", "kind", "amount"):
            rows.setdefault(return_id, {}).setdefault(kind, D(0))
            rows[return_id][kind] += amount
        for r in ReturnRequest.objects.filter(order_id=self.order.pk):
            assert r.refunded_amount + r.credited_amount <= r.estimated_total, r.rma
            kinds = rows.get(r.pk, {})
            assert r.refunded_amount == sum((kinds.get(k, D(0)) for k in MONEY_KINDS), D(0))
            assert r.credited_amount == sum((kinds.get(k, D(0)) for k in CREDIT_KINDS), D(0))
        order = Order.objects.get(pk=self.order.pk)
        refunded_for_returns = ReturnRefund.objects.filter(
            return_request__order_id=order.pk, kind__in=MONEY_KINDS
        ).aggregate(s=Sum("amount"))["s"] or D(0)
        assert order.refunded_for_returns == refunded_for_returns

    @invariant()
    def no_line_returned_beyond_what_shipped(self):
        if self.order is None:
            return
        for line in OrderLine.objects.filter(order_id=self.order.pk):
            assert line.quantity_returned <= line.quantity_shipped
            received = (
                ReturnLine.objects.filter(order_line=line).aggregate(s=Sum("quantity_received"))[
                    "s"
                ]
                or 0
            )
            assert received == line.quantity_returned


ReturnsMoney.TestCase.settings = settings(
    max_examples=8,
    stateful_step_count=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    database=None,
)


@pytest.mark.django_db
def test_returns_and_refunds_never_move_more_money_than_allowed():
    run_state_machine_as_test(ReturnsMoney, settings=ReturnsMoney.TestCase.settings)
