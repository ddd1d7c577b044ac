"""The console roles as groups with their permissions, and a starting authority matrix (USD, EUR,
BRL) that admins tune in the admin."""

from decimal import Decimal

from django.db import migrations

ROLE_PERMISSIONS = {
    "agent": ["use_console", "act_on_orders", "adjust_prices", "reship", "place_orders"],
    "supervisor": [
        "use_console",
        "act_on_orders",
        "adjust_prices",
        "reship",
        "place_orders",
        "approve_requests",
        "view_insights",
    ],
    "admin": [
        "use_console",
        "act_on_orders",
        "adjust_prices",
        "reship",
        "place_orders",
        "approve_requests",
        "view_insights",
    ],
}
# (role, action): (limit per action, limit per order) in USD/EUR; BRL is five times that.
LIMITS = {
    ("agent", "price_adjustment"): ("25", "50"),
    ("agent", "goodwill_credit"): ("20", "40"),
    ("agent", "fee_waiver"): ("15", "15"),
    ("agent", "reship"): ("100", "100"),
    ("agent", "refund"): ("50", "100"),
    ("supervisor", "price_adjustment"): ("250", "500"),
    ("supervisor", "goodwill_credit"): ("150", "300"),
    ("supervisor", "fee_waiver"): ("100", "100"),
    ("supervisor", "reship"): ("1000", "1000"),
    ("supervisor", "refund"): ("1000", "2000"),
    ("admin", "price_adjustment"): ("5000", "10000"),
    ("admin", "goodwill_credit"): ("2000", "5000"),
    ("admin", "fee_waiver"): ("1000", "1000"),
    ("admin", "reship"): ("10000", "10000"),
    ("admin", "refund"): ("10000", "20000"),
}
CURRENCY_FACTORS = {"USD": 1, "EUR": 1, "BRL": 5}


def create_roles(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, codenames in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label="support", codename__in=codenames)
        )
    AuthorityRule = apps.get_model("support", "AuthorityRule")
    for (role, action), (per_action, per_order) in LIMITS.items():
        for currency, factor in CURRENCY_FACTORS.items():
            AuthorityRule.objects.get_or_create(
                role=role,
                action=action,
                currency=currency,
                defaults={
                    "max_amount": Decimal(per_action) * factor,
                    "per_order_cap": Decimal(per_order) * factor,
                },
            )


class Migration(migrations.Migration):
    dependencies = [
        ("support", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
