"""Seed the store's first return policy, so a fresh install has one to edit in the admin."""

from decimal import Decimal

from django.db import migrations

# reason: (photo required, return shipping paid by, restocking fee %, keep-it up to, review)
RULES = {
    "size_too_small": (False, "store", "0", "0", False),
    "size_too_large": (False, "store", "0", "0", False),
    "not_as_described": (False, "store", "0", "0", False),
    "damaged": (True, "store", "0", "15", False),
    "defective": (True, "store", "0", "15", False),
    "wrong_item": (False, "store", "0", "0", False),
    "no_longer_wanted": (False, "customer", "0", "0", False),
    "arrived_late": (False, "store", "0", "0", False),
    "other": (False, "customer", "0", "0", True),
}


def seed(apps, schema_editor):
    Policy = apps.get_model("returns", "ReturnPolicy")
    Rule = apps.get_model("returns", "ReturnReasonRule")
    if Policy.objects.exists():
        return
    policy = Policy.objects.create(
        name="Standard",
        window_days=30,
        store_credit_bonus_percent=Decimal("10"),
        refund_release="receipt",
        return_shipping_fee=Decimal("6.95"),
        ship_within_days=14,
    )
    for reason, (photo, payer, fee, keep_it, review) in RULES.items():
        Rule.objects.create(
            policy=policy,
            reason=reason,
            requires_photo=photo,
            return_shipping_paid_by=payer,
            restocking_fee_percent=Decimal(fee),
            keep_it_max_amount=Decimal(keep_it),
            requires_review=review,
        )


class Migration(migrations.Migration):
    dependencies = [("returns", "0002_policy_and_rmas")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
