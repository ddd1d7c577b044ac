"""The authority matrix: whether a rep may do a money-moving action on their own, or it waits
for a supervisor.

The rule is AuthorityRule(role, action, order currency): an action is within authority when its
amount is at most the rule's limit per action AND what the order has already had of that kind,
plus the requests for it still pending on the order, plus this amount, stays within the rule's
limit per order. Pending requests count so one large goodwill cannot be split into small ones
that each pass. An approver deciding a request is weighed on what the order already had plus
that request: the other requests are not given yet, and each approval adds to what the order
had before the next one is weighed. No rule (no console role, or a currency the matrix has no
row for) means no authority: everything needs approval. An amount of zero gives nothing away
and is always within.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Sum
from django.utils.translation import gettext as _

from orders import money
from orders.models import Order, OrderAdjustment
from orders.services import replacement
from support.access import role_of
from support.models import ActionKind, ApprovalRequest, AuthorityRule

# The adjustment kind each action is recorded as on the order (reship: replacement orders).
ADJUSTMENT_KIND = {
    ActionKind.PRICE_ADJUSTMENT: OrderAdjustment.Kind.PRICE_ADJUSTMENT,
    ActionKind.GOODWILL_CREDIT: OrderAdjustment.Kind.GOODWILL_CREDIT,
    ActionKind.FEE_WAIVER: OrderAdjustment.Kind.SHIPPING_REFUND,
}


class Verdict:
    WITHIN = "within"
    NO_RULE = "no_rule"
    ABOVE_LIMIT = "above_limit"
    ABOVE_ORDER_CAP = "above_order_cap"


@dataclass(frozen=True)
class AuthorityDecision:
    """The answer and everything the console shows about it."""

    action: str
    role: str | None
    currency: str
    amount: Decimal
    rule: AuthorityRule | None
    applied_on_order: Decimal  # already applied on this order for this action kind
    pending_on_order: Decimal  # requested and still waiting (this request excluded)
    verdict: str

    @property
    def is_within(self) -> bool:
        return self.verdict == Verdict.WITHIN

    @property
    def needs_approval(self) -> bool:
        return not self.is_within

    @property
    def used_on_order(self) -> Decimal:
        return self.applied_on_order + self.pending_on_order

    @property
    def limit(self) -> Decimal | None:
        return self.rule.max_amount if self.rule else None

    @property
    def per_order_cap(self) -> Decimal | None:
        return self.rule.per_order_cap if self.rule else None

    @property
    def remaining_on_order(self) -> Decimal | None:
        if self.rule is None:
            return None
        return max(Decimal(0), self.rule.per_order_cap - self.used_on_order)

    def _money(self, amount: Decimal | None) -> str:
        return f"{money.quantize(amount or 0, self.currency)} {self.currency}"

    @property
    def explanation(self) -> str:
        """One sentence for the rep: why it applies at once or goes to approval."""
        values = {
            "limit": self._money(self.limit),
            "cap": self._money(self.per_order_cap),
            "used": self._money(self.used_on_order),
            "amount": self._money(self.amount),
            "currency": self.currency,
        }
        if self.verdict == Verdict.WITHIN:
            if self.rule is None:
                return _("Nothing of value is given: it applies at once.")
            return (
                _(
                    "Within your authority: your limit is %(limit)s per action and %(cap)s per "
                    "order; %(used)s used on this order."
                )
                % values
            )
        if self.verdict == Verdict.NO_RULE:
            return (
                _(
                    "Your role has no authority for this in %(currency)s: it goes to a "
                    "supervisor for approval."
                )
                % values
            )
        if self.verdict == Verdict.ABOVE_LIMIT:
            return (
                _(
                    "Your limit is %(limit)s per action; %(used)s used on this order. "
                    "%(amount)s goes to a supervisor for approval."
                )
                % values
            )
        return (
            _(
                "Your limit on this order is %(cap)s and %(used)s is already used or waiting "
                "for approval: %(amount)s goes to a supervisor for approval."
            )
            % values
        )


def applied_on_order(order: Order, action: str) -> Decimal:
    """What the order already had of this action kind."""
    if action == ActionKind.RESHIP:
        return replacement.replacements_value(order)
    kind = ADJUSTMENT_KIND.get(action)
    if kind is None:  # refunds are counted by the returns flow, not here
        return Decimal(0)
    return OrderAdjustment.objects.filter(order=order, kind=kind).aggregate(s=Sum("amount"))[
        "s"
    ] or Decimal(0)


def pending_on_order(
    order: Order, action: str, *, exclude_request_id: int | None = None
) -> Decimal:
    requests = ApprovalRequest.objects.filter(
        order=order, action=action, status=ApprovalRequest.Status.PENDING
    )
    if exclude_request_id is not None:
        requests = requests.exclude(pk=exclude_request_id)
    return requests.aggregate(s=Sum("amount"))["s"] or Decimal(0)


def decide_authority(
    *,
    user,
    action: str,
    order: Order,
    amount: Decimal,
    exclude_request_id: int | None = None,
    count_pending: bool = True,
) -> AuthorityDecision:
    """Within the user's authority, or needs approval (see the module docstring). A requester's
    decision counts pending requests (`exclude_request_id` leaves one out); an approver's does
    not (`count_pending=False`). Callers that act on the answer hold the order's lock, so two
    decisions on one order never both spend the same room under its cap."""
    role = role_of(user)
    rule = (
        AuthorityRule.objects.filter(role=role, action=action, currency=order.currency).first()
        if role
        else None
    )
    applied = applied_on_order(order, action)
    pending = (
        pending_on_order(order, action, exclude_request_id=exclude_request_id)
        if count_pending
        else Decimal(0)
    )
    if amount == 0:
        verdict = Verdict.WITHIN
    elif rule is None:
        verdict = Verdict.NO_RULE
    elif amount > rule.max_amount:
        verdict = Verdict.ABOVE_LIMIT
    elif applied + pending + amount > rule.per_order_cap:
        verdict = Verdict.ABOVE_ORDER_CAP
    else:
        verdict = Verdict.WITHIN
    return AuthorityDecision(
        action=action,
        role=role,
        currency=order.currency,
        amount=amount,
        rule=rule,
        applied_on_order=applied,
        pending_on_order=pending,
        verdict=verdict,
    )
