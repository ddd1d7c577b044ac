"""Returns in the console: who reviews returns and who receives parcels.

- supervisors and admins review the returns the policy sends for review (approve or reject),
  and may receive parcels too (someone has to when the warehouse is short-handed);
- agents do neither: they see every return, create returns for customers, cancel them and
  release what the policy already allows (act_on_orders), so a rep can resolve a call, but a
  second pair of eyes decides the exceptions;
- the new `warehouse` group signs in to the console only to receive and inspect parcels (and
  to read the returns it handles): use_console + receive_returns, nothing that moves money.
"""

from django.db import migrations

ROLE_PERMISSIONS = {
    "supervisor": ["review_returns", "receive_returns"],
    "admin": ["review_returns", "receive_returns"],
    "warehouse": ["use_console", "receive_returns"],
}


def grant(apps, schema_editor):
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


class Migration(migrations.Migration):
    dependencies = [("support", "0002_roles_and_authority")]

    operations = [
        migrations.AlterModelOptions(
            name="case",
            options={
                "ordering": ["-opened_at", "-id"],
                "permissions": [
                    ("use_console", "Can use the CSR console"),
                    (
                        "act_on_orders",
                        "Can cancel, hold, release, modify orders and resend messages",
                    ),
                    (
                        "adjust_prices",
                        "Can request price adjustments, goodwill credit and fee waivers",
                    ),
                    ("reship", "Can send replacements"),
                    ("place_orders", "Can place orders for customers"),
                    ("approve_requests", "Can approve or reject requests above a rep's authority"),
                    ("view_insights", "Can see insights dashboards"),
                    ("review_returns", "Can approve or reject returns that need a review"),
                    ("receive_returns", "Can receive and inspect returned parcels"),
                ],
                "verbose_name": "support case",
                "verbose_name_plural": "support cases",
            },
        ),
        migrations.RunPython(grant, migrations.RunPython.noop),
    ]
