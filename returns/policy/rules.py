"""The store policy as the engine reads it: the active ReturnPolicy with its reason rules and
window overrides loaded once, and the one write the admin needs (activating a policy)."""

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Prefetch

from returns.models import ReturnPolicy, ReturnReason, ReturnReasonRule, ReturnWindowOverride

# Reasons a customer chooses from (a withdrawal is not chosen: it is the withdrawal button).
CHOOSABLE_REASONS = [r for r in ReturnReason if r != ReturnReason.WITHDRAWAL]


def active_policy() -> ReturnPolicy:
    """The active policy with its rules and overrides prefetched (three queries), else an
    unsaved default ReturnPolicy() (a fresh database, or a test that flushed the seeded one):
    the engine always has a policy to apply."""
    policy = (
        ReturnPolicy.objects.filter(is_active=True)
        .select_related("return_warehouse")
        .prefetch_related(
            Prefetch("reason_rules", queryset=ReturnReasonRule.objects.order_by("id")),
            Prefetch("overrides", queryset=ReturnWindowOverride.objects.order_by("id")),
        )
        .first()
    )
    return policy if policy is not None else ReturnPolicy(name="Default")


@dataclass(frozen=True)
class PolicyRules:
    """The policy's per-reason rules and window overrides, as lookups."""

    policy: ReturnPolicy
    reasons: dict[str, ReturnReasonRule]
    product_windows: dict[int, int]
    category_windows: dict[str, int]

    def rule(self, reason: str) -> ReturnReasonRule:
        """The rule for `reason`; a reason without one is allowed with the defaults."""
        found = self.reasons.get(reason)
        return found if found is not None else ReturnReasonRule(reason=reason)

    def is_enabled(self, reason: str) -> bool:
        return (
            reason in ReturnReason.values
            and reason != ReturnReason.WITHDRAWAL
            and (self.rule(reason).is_enabled)
        )

    def window_days(self, product) -> int:
        """Per product, then per category, then the policy's window."""
        if product.pk in self.product_windows:
            return self.product_windows[product.pk]
        if product.category and product.category in self.category_windows:
            return self.category_windows[product.category]
        return self.policy.window_days


def policy_rules(policy: ReturnPolicy) -> PolicyRules:
    """Lookups over an (already prefetched) policy; no query for an unsaved one."""
    if policy.pk is None:
        return PolicyRules(policy, {}, {}, {})
    rules = {rule.reason: rule for rule in policy.reason_rules.all()}
    products: dict[int, int] = {}
    categories: dict[str, int] = {}
    for override in policy.overrides.all():
        if override.product_id is not None:
            products[override.product_id] = override.window_days
        elif override.category:
            categories[override.category] = override.window_days
    return PolicyRules(policy, rules, products, categories)


@transaction.atomic
def activate_policy(policy: ReturnPolicy) -> ReturnPolicy:
    """Make `policy` the one active policy: every other one is deactivated first, in the same
    transaction, so the partial unique index never sees two. Safe to call twice."""
    others = ReturnPolicy.objects.select_for_update().filter(is_active=True).order_by("pk")
    if policy.pk is not None:
        others = others.exclude(pk=policy.pk)
    for other in others:
        other.is_active = False
        other.save(update_fields=["is_active", "updated_at"])
    policy.is_active = True
    policy.save()
    return policy
