"""A small store with every fact the export writes, built through the real services: a
delivered order with a return refunded to the card, a case with a second contact, a price
adjustment (by percentage), goodwill, the emails and live updates all of it sent, and an order
in KWD (three decimals). Plus helpers to read an export back."""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pyarrow.dataset as pads
from django.utils import timezone

from oms.actors import Actor
from orders import services
from orders.models import Order, Variant
from orders.services import adjustments
from support.models import Case
from support.services import cases
from tests.factories import StockFactory, VariantFactory, WarehouseFactory
from tests.orders.builders import order_input
from tests.returns.lifecycle_builders import delivered_order, request, store_policy, wanted

ACTOR = Actor.system("tests")
AGENT = Actor(kind="staff", label="agent.smith")
# Personal data the store holds, that must never appear in clear in an export.
EMAIL = "ana.export@example.com"
KWD_EMAIL = "kwd.buyer@example.com"
SUBJECT = "Ana Souza called from +1 555 0100 about her parcel"
CONTACT_NOTE = "Called again from her office at Rua Augusta 100"


@dataclass
class Store:
    order: Order
    kwd_order: Order
    case: Case


def build_store(django_capture_on_commit_callbacks) -> Store:
    """Every on-commit callback runs (payments settle, notifications go out), as in production."""
    with django_capture_on_commit_callbacks(execute=True):
        store_policy()
        order = delivered_order(email=EMAIL)
        returned = request(order, wanted(order, "TEE-M", 1))
    with django_capture_on_commit_callbacks(execute=True):
        from returns.services import receiving

        line = returned.lines.get()
        receiving.receive_return(
            return_request=returned, lines=[(line.pk, 1, "as_new")], actor=ACTOR
        )
    with django_capture_on_commit_callbacks(execute=True):
        adjustments.record_goodwill(
            order=order,
            amount=Decimal("3.50"),
            reason_code="late_delivery",
            note="Sorry Ana, we will call you at +1 555 0100",
            actor=AGENT,
        )
        case = cases.open_case(
            customer=order.customer,
            channel="phone",
            reason="wismo",
            subject=SUBJECT,
            note="Customer Ana Souza, ana.export@example.com",
            order=order,
            actor=AGENT,
        )
    with django_capture_on_commit_callbacks(execute=True):
        cases.log_contact(case=case, channel="email", note=CONTACT_NOTE, actor=AGENT)
        cases.resolve_case(case=case, resolution="Told her", send_survey=True, actor=AGENT)
    with django_capture_on_commit_callbacks(execute=True):
        kwd_order = kwd_store_order()
        adjustments.apply_price_adjustment(
            order=kwd_order,
            line=kwd_order.lines.get(),
            percentage=Decimal("12.5"),
            reason_code="price_match",
            note="Matched for Mr Kuwait",
            actor=AGENT,
        )
    order.refresh_from_db()
    kwd_order.refresh_from_db()
    case.refresh_from_db()
    return Store(order=order, kwd_order=kwd_order, case=case)


def kwd_store_order() -> Order:
    """An order in Kuwaiti dinars (three decimals), from another warehouse, not shipped yet."""
    if not Variant.objects.filter(sku="LAMP").exists():
        warehouse = WarehouseFactory(code="KUW", region="KU", country="KW", priority=5)
        variant = VariantFactory(sku="LAMP", price=Decimal("12.345"), currency="KWD")
        StockFactory(variant=variant, warehouse=warehouse, on_hand=100)
    return services.place_order(
        data=order_input(
            [("LAMP", 3)],
            currency="KWD",
            shipping_price="1.250",
            customer=services.CustomerInput(email=KWD_EMAIL, name="Kuwait Buyer"),
        ),
        actor=ACTOR,
    )


def later():
    """A clock past the settle time: everything in the store may be exported."""
    return timezone.now() + timedelta(minutes=5)


def read_dataset(root: Path | str, name: str, filesystem=None) -> list[dict]:
    """Every row of a dataset as exported (with its `date` partition), sorted by id and
    updated_at (versions)."""
    dataset = pads.dataset(
        f"{root}/{name}", format="parquet", partitioning="hive", filesystem=filesystem
    )
    rows = dataset.to_table().to_pylist()
    return sorted(rows, key=lambda row: (row["id"], str(row.get("updated_at"))))


def parquet_files(root: Path) -> list[str]:
    return sorted(str(path.relative_to(root)) for path in root.rglob("*.parquet"))
