"""Review moderation in the console: `feedback.moderate_reviews` (publish, reject with a reason,
reply), granted to the supervisor and admin groups support created. Agents read the reviews on
the order and the customer pages but do not decide what the storefront shows."""

from django.db import migrations

ROLES = ("supervisor", "admin")


def grant(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permission = Permission.objects.get(
        content_type__app_label="feedback", codename="moderate_reviews"
    )
    for role in ROLES:
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.add(permission)


class Migration(migrations.Migration):
    dependencies = [
        ("feedback", "0001_initial"),
        ("support", "0003_returns_roles"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="review",
            options={
                "permissions": [
                    ("moderate_reviews", "Can publish, reject and reply to product reviews")
                ],
                "verbose_name": "review",
                "verbose_name_plural": "reviews",
            },
        ),
        migrations.RunPython(grant, migrations.RunPython.noop),
    ]
