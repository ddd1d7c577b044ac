"""Demo staff logins, the demo API client, catalogue, stock and customers (idempotent)."""

import random
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.db.models import F

from notifications.models import OutboxMessage
from oms.actors import Actor
from oms.models import ApiClient, Scope, hash_token
from orders.demo import data as demo
from orders.demo.clock import SimulatedClock
from orders.models import Customer, Product, SavedPaymentMethod, Stock, Variant, Warehouse
from orders.services import (
    adjust_stock,
    get_or_create_customer,
)
from orders.services.customers import remember_address

CUSTOMERS = 300
DEMO_USERS = [
    ("admin", "admin-demo", "admin", True),
    ("supervisor", "supervisor-demo", "supervisor", False),
    ("agent", "agent-demo", "agent", False),
]
DEMO_CLIENT_NAME = "demo-storefront"
DEMO_CLIENT_TOKEN = "oms_demo_storefront_token_local_only"  # public: created in DEBUG only


def ensure_demo_users() -> dict[str, User]:
    """The demo staff logins, with their documented passwords set again on every run."""
    users = {}
    for username, password, group_name, is_superuser in DEMO_USERS:
        user, _ = User.objects.get_or_create(
            username=username, defaults={"email": f"{username}@oms.local"}
        )
        user.is_staff, user.is_superuser, user.is_active = True, is_superuser, True
        user.set_password(password)
        user.save()
        if group_name:
            group, _ = Group.objects.get_or_create(name=group_name)
            user.groups.add(group)
        users[username] = user
    return users


def ensure_demo_api_client(stdout) -> ApiClient | None:
    """The demo storefront's API client with its well-known token, only while DEBUG is on. With
    DEBUG off a client left over from a demo database is deactivated: its token is public."""
    client = ApiClient.objects.filter(name=DEMO_CLIENT_NAME).first()
    if not settings.DEBUG:
        if client is not None and client.is_active:
            client.is_active = False
            client.save(update_fields=["is_active"])
            stdout.write(f"DEBUG is off: API client {DEMO_CLIENT_NAME} deactivated.")
        return None
    client = client or ApiClient(name=DEMO_CLIENT_NAME)
    client.scopes = sorted(Scope.values)
    client.token_hash = hash_token(DEMO_CLIENT_TOKEN)
    client.token_prefix = DEMO_CLIENT_TOKEN[:12]
    client.is_active = True
    client.save()
    return client


def seed_catalogue(
    rng: random.Random, clock: SimulatedClock, now: datetime
) -> tuple[str, set[str]]:
    """Warehouses, products and variants that do not exist yet; opening stock for new variants
    only, so a second run never adds units."""
    clock.at = now - timedelta(days=120)
    warehouses = []
    for code, name, region, city, postal_code, priority in demo.WAREHOUSES:
        warehouse, _ = Warehouse.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "region": region,
                "city": city,
                "postal_code": postal_code,
                "priority": priority,
                "country": "US",
            },
        )
        warehouses.append(warehouse)
    existing_products = {p.slug: p for p in Product.objects.filter(slug__in=demo.PRODUCT_SLUGS)}
    existing_skus = set(Variant.objects.values_list("sku", flat=True))
    new_variants: list[tuple[Variant, demo.ProductSeed]] = []
    for seed in demo.PRODUCTS:
        product = existing_products.get(demo.slug_for(seed))
        if product is None:
            product = Product.objects.create(
                name=seed.name,
                slug=demo.slug_for(seed),
                category=seed.category,
                description=f"{seed.name}. Demo product.",
            )
        for colour in seed.colours:
            for size in seed.sizes:
                sku = demo.sku_for(seed, colour, size)
                if sku in existing_skus:
                    continue
                variant = Variant(
                    product=product,
                    sku=sku,
                    name=demo.variant_name(seed, colour, size),
                    price=Decimal(seed.price),
                    currency=demo.CURRENCY,
                    weight_grams=seed.weight_grams,
                    is_final_sale=seed.is_final_sale,
                )
                new_variants.append((variant, seed))
    Variant.objects.bulk_create([variant for variant, _ in new_variants])
    clock.at = now - timedelta(days=61)
    wms = Actor.system("wms")
    units, stock_keys, empty = 0, set(), []
    for variant, seed in new_variants:
        for warehouse, quantity in demo.opening_stock(rng, seed, warehouses):
            if not quantity:  # not carried there, or sold out: the row exists, empty
                empty.append(Stock(variant=variant, warehouse=warehouse))
                continue
            adjust_stock(
                sku=variant.sku,
                warehouse_code=warehouse.code,
                delta=quantity,
                reason="Opening stock count",
                actor=wms,
            )
            units += quantity
            stock_keys.add(f"{warehouse.code}:{variant.sku}")
    Stock.objects.bulk_create(empty)
    summary = (
        f"{len(warehouses)} warehouses, {Product.objects.count()} products, "
        f"{Variant.objects.count()} SKUs ({len(new_variants)} new, {units} units)"
    )
    return summary, stock_keys


def seed_customers(
    rng: random.Random, clock: SimulatedClock, now: datetime
) -> list[tuple[Customer, demo.PersonSeed]]:
    """The demo customers (found by email when they exist), each with a home address."""
    customers = []
    for person in demo.make_people(rng, CUSTOMERS):
        clock.at = now - timedelta(days=rng.uniform(62, 900))
        customer = get_or_create_customer(
            email=person.email, name=person.name, phone=person.phone, locale=person.locale
        )
        remember_address(customer, person.address)
        customers.append((customer, person))
    seed_saved_payment_methods([customer for customer, _ in customers])
    return customers


# Sandbox vault tokens (a test card number behind `tok_`), as a real gateway returns them when
# the customer saves a card at checkout: the console charges these for assisted orders.
DEMO_CARDS = [
    ("tok_4242424242424242", "Visa •••• 4242"),
    ("tok_5555555555554444", "Mastercard •••• 4444"),
    ("tok_4000000000000002", "Visa •••• 0002"),  # declines: the console shows what happens
]


def seed_saved_payment_methods(customers: list[Customer]) -> int:
    """A saved card for every other customer (a second one for some, one default each), for
    customers without any yet; one bulk insert. Returns how many were created."""
    has_methods = set(
        SavedPaymentMethod.objects.filter(customer__in=customers).values_list(
            "customer_id", flat=True
        )
    )
    methods = []
    for index, customer in enumerate(customers):
        if index % 2 or customer.pk in has_methods:
            continue
        cards = [DEMO_CARDS[0] if index % 6 else DEMO_CARDS[1]]
        if index % 10 == 4:
            cards.append(DEMO_CARDS[2])
        for position, (token, label) in enumerate(cards):
            methods.append(
                SavedPaymentMethod(
                    customer=customer,
                    gateway="sandbox",
                    token=token,
                    label=label,
                    is_default=position == 0,
                )
            )
    SavedPaymentMethod.objects.bulk_create(methods)
    return len(methods)


def mark_history_dispatched(order_numbers: list[str], stock_keys: set[str]) -> None:
    """The seeded outbox rows are history: mark them delivered when they happened, so the
    dispatcher does not send two months of email and webhooks on its first run."""
    for aggregate_type, ids in (("order", order_numbers), ("stock", sorted(stock_keys))):
        for start in range(0, len(ids), 500):
            OutboxMessage.objects.filter(
                aggregate_type=aggregate_type,
                aggregate_id__in=ids[start : start + 500],
                dispatched_at__isnull=True,
            ).update(dispatched_at=F("created_at"))
