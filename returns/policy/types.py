"""What the policy engine answers with. The portal, the console, the API and the services read
these and nothing else, so all four say the same thing for the same order."""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from orders.models import OrderLine, Variant, Warehouse
from returns.models import ReturnPolicy


@dataclass(frozen=True)
class ReasonOption:
    """A return reason the customer may choose, with what choosing it implies."""

    code: str
    label: str
    requires_photo: bool
    customer_pays_return_shipping: bool
    restocking_fee_percent: Decimal
    keep_it_max_amount: Decimal
    requires_review: bool


@dataclass(frozen=True)
class WithdrawalRight:
    """The statutory right of withdrawal the customer's country gives (None where there is none)."""

    code: str  # "br_cdc_49" or "eu_14_days"
    days: int
    ends_at: datetime  # aware: the end of the last day, in the customer's time zone
    is_open: bool
    refunds_original_shipping: bool
    has_withdrawal_button: bool  # EU: the online withdrawal function


@dataclass(frozen=True)
class LineDecision:
    """Whether units of one order line can be returned now, and why (or why not)."""

    order_line: OrderLine
    returnable_quantity: int  # delivered, minus units already returned or in an open return
    is_returnable: bool
    code: str  # "returnable", "final_sale", "window_closed", "not_delivered", "fully_returned", ...
    explanation: str  # one translated sentence the customer and the rep read
    window_ends_at: datetime | None  # aware, end of the last day in the customer's time zone
    # Returnable only because the statutory withdrawal right overrides the store policy.
    is_statutory_only: bool = False
    # The units may be returned as a statutory withdrawal now (the right is open).
    is_withdrawable: bool = False


@dataclass(frozen=True)
class OrderDecision:
    """The policy's whole answer for one order at one moment."""

    policy: ReturnPolicy
    lines: list[LineDecision]
    resolutions: list[str]  # Resolution values offered for this order
    reasons: list[ReasonOption]
    withdrawal: WithdrawalRight | None
    time_zone: str

    @property
    def has_returnable_lines(self) -> bool:
        return any(line.is_returnable for line in self.lines)

    def line(self, order_line_id: int) -> LineDecision | None:
        return next((d for d in self.lines if d.order_line.pk == order_line_id), None)


@dataclass(frozen=True)
class RequestedLine:
    """One line of what the customer asks to return (portal form, console form or API body)."""

    order_line_id: int
    quantity: int
    reason: str = ""  # a ReturnReason value; may be blank only for a statutory withdrawal
    comment: str = ""
    exchange_variant_id: int | None = None
    photo_count: int = 0


@dataclass(frozen=True)
class LineEstimate:
    order_line: OrderLine
    quantity: int
    reason: str
    unit_amount: Decimal  # after the unit's share of the line discount
    amount: Decimal  # unit_amount * quantity
    restocking_fee: Decimal
    exchange_variant: Variant | None = None
    exchange_amount: Decimal = Decimal(0)  # the replacement's price * quantity


@dataclass(frozen=True)
class Estimate:
    """What a return would bring the customer, computed before anything is written. Money in
    the order's currency, quantized. `errors` (field errors in the API's shape: field, code,
    message) is empty when the request is acceptable."""

    lines: list[LineEstimate]
    resolution: str
    currency: str
    items_amount: Decimal
    restocking_fee: Decimal
    return_shipping_fee: Decimal
    shipping_refund: Decimal  # the original shipping, refunded on a statutory withdrawal
    bonus_amount: Decimal  # store-credit bonus
    total: Decimal  # items - fees + shipping_refund + bonus (never below zero)
    # Exchanges: replacement value minus returned value; > 0 the customer pays, < 0 refunded.
    exchange_difference: Decimal
    is_withdrawal: bool
    is_keep_it: bool  # every line is below its reason's keep-it amount: no parcel needed
    requires_review: bool  # a rep approves it first (console review queue)
    refund_release: str  # RefundRelease value
    warehouse: Warehouse | None  # where the parcel goes
    errors: list[dict[str, str]] = field(default_factory=list)
    # The total was lowered to the money the order still holds (captured minus refunded).
    is_capped: bool = False

    @property
    def is_valid(self) -> bool:
        return not self.errors
