"""The return policy engine: one answer for the portal, the console and the API.

evaluate_order(order, *, at=None) -> OrderDecision
estimate(order, lines: list[RequestedLine], *, resolution, is_withdrawal=False,
         at=None) -> Estimate
active_policy() -> ReturnPolicy
activate_policy(policy) -> ReturnPolicy

Modules: rules (the active policy as lookups), engine (evaluate_order), estimate, statutory
(the law on withdrawal), zones (where the customer's day ends).
"""

from returns.policy.engine import Code, evaluate_order
from returns.policy.estimate import estimate
from returns.policy.rules import activate_policy, active_policy
from returns.policy.types import (
    Estimate,
    LineDecision,
    LineEstimate,
    OrderDecision,
    ReasonOption,
    RequestedLine,
    WithdrawalRight,
)

__all__ = [
    "Code",
    "Estimate",
    "LineDecision",
    "LineEstimate",
    "OrderDecision",
    "ReasonOption",
    "RequestedLine",
    "WithdrawalRight",
    "activate_policy",
    "active_policy",
    "estimate",
    "evaluate_order",
]
