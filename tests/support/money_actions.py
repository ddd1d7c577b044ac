"""Builders for the tests of discretionary money actions: staff users per role, orders in a
known state, and a snapshot of every place money could move."""

import importlib
from decimal import Decimal

from django.contrib.auth.models import Group, Permission, User
from django.utils import timezone

from notifications.models import OutboxMessage
from orders import services
from orders.models import Order, OrderAdjustment, OrderEvent, Payment, PaymentTransaction
from returns.models import StoreCreditEntry
from support.models import ApprovalRequest, AuthorityRule, Case
from tests.factories import StockFactory, VariantFactory, WarehouseFactory
from tests.orders.builders import ACTOR, order_input, ship

PASSWORD = "pass-1234"


def ensure_roles() -> None:
    """The role groups and the authority matrix, as migrations support/0002 and 0003 seed them.
    A test with real transactions ends by flushing the database, which takes seeded data with it
    (the permissions come back by themselves, post_migrate recreates them), so put them back."""
    if (
        Group.objects.filter(name="agent").exists()
        and Group.objects.filter(name="warehouse").exists()
        and AuthorityRule.objects.exists()
    ):
        return
    seed = importlib.import_module("support.migrations.0002_roles_and_authority")
    returns_roles = importlib.import_module("support.migrations.0003_returns_roles")
    for grants in (seed.ROLE_PERMISSIONS, returns_roles.ROLE_PERMISSIONS):
        for role, codenames in grants.items():
            group, _ = Group.objects.get_or_create(name=role)
            group.permissions.add(
                *Permission.objects.filter(
                    content_type__app_label="support", codename__in=codenames
                )
            )
    # Review moderation (feedback/0002): supervisors and admins.
    moderation = importlib.import_module("feedback.migrations.0002_moderate_reviews_permission")
    for role in moderation.ROLES:
        Group.objects.get(name=role).permissions.add(
            *Permission.objects.filter(
                content_type__app_label="feedback", codename="moderate_reviews"
            )
        )
    for (role, action), (per_action, per_order) in seed.LIMITS.items():
        for currency, factor in seed.CURRENCY_FACTORS.items():
            AuthorityRule.objects.get_or_create(
                role=role,
                action=action,
                currency=currency,
                defaults={
                    "max_amount": Decimal(per_action) * factor,
                    "per_order_cap": Decimal(per_order) * factor,
                },
            )


def staff(role: str | None, username: str | None = None, *, can_sign_in: bool = False) -> User:
    """A staff user in the role's group (the live streams are for staff). Hashing a password
    is slow: only for browser sign-ins."""
    user = User.objects.create_user(
        username or f"{role or 'clerk'}-{User.objects.count()}",
        password=PASSWORD if can_sign_in else None,
        is_staff=True,
    )
    if role:
        ensure_roles()
        user.groups.add(Group.objects.get(name=role))
    return user


def stock_catalog(currency: str = "USD") -> None:
    """TEE-M at 25.00 and COAT at 400.00, plenty of both in one warehouse."""
    east = WarehouseFactory(code="EAST", priority=10)
    StockFactory(variant=VariantFactory(sku="TEE-M", currency=currency), warehouse=east, on_hand=50)
    StockFactory(
        variant=VariantFactory(sku="COAT", price=Decimal("400.00"), currency=currency),
        warehouse=east,
        on_hand=50,
    )


def place(lines=(("TEE-M", 2),), *, currency: str = "USD") -> Order:
    """A confirmed, authorized order: 2 x TEE-M = 50.00 + 5.00 shipping by default."""
    return services.place_order(data=order_input(list(lines), currency=currency), actor=ACTOR)


def ship_everything(order: Order) -> Order:
    """Ship every parcel (captures the payment). Run inside on-commit capture for settlement."""
    for index, shipment in enumerate(order.shipments.order_by("pk")):
        ship(shipment, f"1ZMONEY{order.pk}{index}")
    order.refresh_from_db()
    return order


def open_case(order: Order, user: User) -> Case:
    now = timezone.now()
    return Case.objects.create(
        customer=order.customer,
        order=order,
        channel=Case.Channel.PHONE,
        reason=Case.Reason.DELAY,
        subject="Late parcel",
        opened_by=user,
        opened_at=now,
        last_contact_at=now,
    )


def money_snapshot(order: Order) -> dict:
    """Every place money or a money action could show up."""
    order.refresh_from_db()
    return {
        "order": (order.total, order.discount_total, order.order_discount),
        "lines": list(order.lines.order_by("pk").values_list("discount", flat=True)),
        "payments": list(
            Payment.objects.order_by("pk").values_list(
                "amount_authorized", "amount_captured", "amount_refunded"
            )
        ),
        "ledger": PaymentTransaction.objects.count(),
        "store_credit": StoreCreditEntry.objects.count(),
        "adjustments": OrderAdjustment.objects.count(),
        "orders": Order.objects.count(),
    }


def everything_snapshot(order: Order) -> dict:
    """Money plus every record an action writes (for refusals: nothing at all happens)."""
    return {
        **money_snapshot(order),
        "events": OrderEvent.objects.count(),
        "outbox": OutboxMessage.objects.count(),
        "requests": list(ApprovalRequest.objects.order_by("pk").values_list("status", flat=True)),
    }
