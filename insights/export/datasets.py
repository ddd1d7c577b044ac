"""The facts the data-lake export writes: one dataset per table, its Arrow schema (money as
exact decimals, timestamps in UTC), where each column comes from, and how the export knows
what is new (the watermark). docs/insights.md renders the same information for analysts.

Personal data never leaves in clear: no names, email addresses, phone numbers, street
addresses or free text (notes, subjects, comments, message bodies). Orders keep the
destination's country and region (the dashboards' region cut); notification recipients are a
keyed hash (HMAC-SHA256 under the deployment's SECRET_KEY), so analysts can count distinct
recipients without learning who they are.
"""

import functools
import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import pyarrow as pa
from django.conf import settings
from django.db.models import BooleanField, Expression, ExpressionWrapper, Q, QuerySet
from django.db.models.fields.json import KT

from notifications.models import Delivery
from orders.models import (
    Order,
    OrderAdjustment,
    OrderLine,
    PaymentTransaction,
    Shipment,
    TrackingEvent,
)
from returns.models import ReturnLine, ReturnRefund, ReturnRequest
from support.models import Case, CaseEvent

# Raise it whenever a column is added, removed, renamed or changes type: a target keeps one
# schema version (runs refuse to mix versions in one folder).
SCHEMA_VERSION = 1

MONEY = pa.decimal128(14, 3)  # orders.money: 14 digits, 3 decimals, whatever the currency
TIMESTAMP = pa.timestamp("us", tz="UTC")
DATE = pa.date32()
ID = pa.int64()
TEXT = pa.string()
COUNT = pa.int32()
FLAG = pa.bool_()

RECIPIENT_HASH_SALT = "insights.export.recipient"


def recipient_hash(value: str | None) -> str | None:
    """A keyed hash of a recipient (address, phone, endpoint or topic): the same recipient
    gets the same hash in every run, nobody without the SECRET_KEY can reverse it. It is
    django.utils.crypto.salted_hmac's, with the key derived once rather than per row."""
    if not value:
        return None
    return _recipient_hash(value.strip().lower(), settings.SECRET_KEY)


@functools.lru_cache(maxsize=65_536)  # a customer gets many messages
def _recipient_hash(value: str, secret: str) -> str:
    return hmac.new(_hash_key(secret), value.encode(), hashlib.sha256).hexdigest()


@functools.cache
def _hash_key(secret: str) -> bytes:
    return hashlib.sha256((RECIPIENT_HASH_SALT + secret).encode()).digest()


class Watermark(StrEnum):
    """How a dataset knows what it has not exported yet."""

    # Append-only rows: every id above the last one exported.
    ID = "id"
    # Rows that change: every row whose (updated_at, id) is past the last one exported; a
    # changed row is exported again, as a new version carrying its updated_at.
    UPDATED_AT = "updated_at"
    # Rows of a parent that changes (order lines, return lines): exported again, with the
    # parent's updated_at, whenever the parent is.
    PARENT_UPDATED_AT = "parent_updated_at"
    # Append-only rows that settle once (a refund's gateway answer, a delivery's outcome):
    # exported by id once settled; the ids still unsettled are remembered and retried.
    SETTLED = "settled"
    # Support cases have no updated_at, but every change to a case writes a case event: a case
    # is exported again when it has new events, with the time of its newest event.
    CASE_EVENTS = "case_events"


@dataclass(frozen=True)
class Column:
    name: str
    type: pa.DataType
    # An ORM lookup or expression read with values_list; None: the reader supplies it.
    source: str | Expression | None
    description: str
    nullable: bool = True
    convert: Callable[[Any], Any] | None = None

    def arrow_field(self) -> pa.Field:
        return pa.field(
            self.name,
            self.type,
            nullable=self.nullable,
            metadata={"description": self.description},
        )


@dataclass(frozen=True)
class Dataset:
    name: str
    description: str
    columns: tuple[Column, ...]
    queryset: Callable[[], QuerySet]
    watermark: Watermark
    # The timestamp column whose UTC date names the partition (date=YYYY-MM-DD). It never
    # changes for a row, so every version of a row lands in the same partition.
    partition_by: str
    # The column a reader uses as the row's creation time to find its horizon.
    created_field: str = "created_at"
    # PARENT_UPDATED_AT: the parent's queryset and the child's lookup of the parent's id.
    parent_queryset: Callable[[], QuerySet] | None = None
    parent_lookup: str = ""
    # SETTLED: the column and the values that mean the row will not change any more.
    settled_column: str = ""
    settled_values: frozenset[str] = frozenset()
    personal_data: str = ""

    @property
    def is_versioned(self) -> bool:
        """Whether a row may be exported more than once (as versions, by updated_at)."""
        return self.watermark in (
            Watermark.UPDATED_AT,
            Watermark.PARENT_UPDATED_AT,
            Watermark.CASE_EVENTS,
        )

    def arrow_schema(self) -> pa.Schema:
        return pa.schema(
            [column.arrow_field() for column in self.columns],
            metadata={
                "oms.dataset": self.name,
                "oms.schema_version": str(SCHEMA_VERSION),
            },
        )

    def column_index(self, name: str) -> int:
        return next(i for i, column in enumerate(self.columns) if column.name == name)

    def describe(self) -> dict[str, Any]:
        """The dataset's `_schema.json`."""
        return {
            "dataset": self.name,
            "schema_version": SCHEMA_VERSION,
            "description": self.description,
            "watermark": str(self.watermark),
            "versioned": self.is_versioned,
            "key": "id",
            "partitioning": {"style": "hive", "column": "date", "from": self.partition_by},
            "personal_data": self.personal_data,
            "columns": [
                {
                    "name": column.name,
                    "type": str(column.type),
                    "nullable": column.nullable,
                    "description": column.description,
                }
                for column in self.columns
            ],
        }


def _flag(condition: Q) -> ExpressionWrapper:
    return ExpressionWrapper(condition, output_field=BooleanField())


def c(name, type_, source, description, nullable=True, convert=None) -> Column:
    return Column(name, type_, source, description, nullable, convert)


ORDERS = Dataset(
    name="orders",
    description="One row per version of an order (placed, paid, shipped, delivered, edited...).",
    queryset=lambda: Order.objects.all(),
    watermark=Watermark.UPDATED_AT,
    partition_by="created_at",
    personal_data=(
        "No name, email, phone, addresses or notes: customer_id identifies the customer, "
        "ship_country and ship_region locate the destination."
    ),
    columns=(
        c("id", ID, "id", "Order id.", nullable=False),
        c("number", TEXT, "number", "Order number shown to customers.", nullable=False),
        c("channel", TEXT, "channel", "web, marketplace, api, csr, exchange or replacement."),
        c("status", TEXT, "status", "Order status at this version."),
        c("customer_id", ID, "customer_id", "Customer id (pseudonymous)."),
        c(
            "original_order_id",
            ID,
            "original_order_id",
            "Exchanges and replacements: the order they follow.",
        ),
        c("external_reference", TEXT, "external_reference", "The storefront's own reference."),
        c("locale", TEXT, "locale", "Language the customer is written to."),
        c("currency", TEXT, "currency", "ISO 4217 currency of every amount of the order."),
        c("ship_country", TEXT, KT("shipping_address__country"), "Destination country (ISO)."),
        c("ship_region", TEXT, KT("shipping_address__region"), "Destination region or state."),
        c("shipping_method", TEXT, "shipping_method", "standard, express, next_day or pickup."),
        c("shipping_price", MONEY, "shipping_price", "Shipping charged."),
        c("order_discount", MONEY, "order_discount", "Price adjustments on the whole order."),
        c("subtotal", MONEY, "subtotal", "Lines before discounts."),
        c("discount_total", MONEY, "discount_total", "Line and order discounts."),
        c("shipping_total", MONEY, "shipping_total", "Shipping after waivers."),
        c("total", MONEY, "total", "What the order costs the customer."),
        c("refunded_for_returns", MONEY, "refunded_for_returns", "Given back for returns."),
        c("promised_delivery_date", DATE, "promised_delivery_date", "Promised at checkout."),
        c("placed_by_kind", TEXT, "placed_by_kind", "customer, staff, api_client or system."),
        c("needs_attention", FLAG, "needs_attention", "In the console's attention queue."),
        c("created_at", TIMESTAMP, "created_at", "Placed (UTC).", nullable=False),
        c("updated_at", TIMESTAMP, "updated_at", "This version (UTC).", nullable=False),
    ),
)

ORDER_LINES = Dataset(
    name="order_lines",
    description="One row per version of an order line, exported with each version of its "
    "order (updated_at is the order's).",
    queryset=lambda: OrderLine.objects.all(),
    watermark=Watermark.PARENT_UPDATED_AT,
    parent_queryset=lambda: Order.objects.all(),
    parent_lookup="order_id",
    partition_by="order_created_at",
    personal_data="None (products and quantities).",
    columns=(
        c("id", ID, "id", "Order line id.", nullable=False),
        c("order_id", ID, "order_id", "Order id.", nullable=False),
        c("line_number", COUNT, "line_number", "Position in the order."),
        c("variant_id", ID, "variant_id", "Variant (SKU) id."),
        c("product_id", ID, "variant__product_id", "Product id."),
        c("sku", TEXT, "sku", "SKU."),
        c("name", TEXT, "name", "Product name as sold."),
        c("quantity", COUNT, "quantity", "Units ordered."),
        c("unit_price", MONEY, "unit_price", "Price of one unit."),
        c("discount", MONEY, "discount", "Discount on the whole line."),
        c("quantity_cancelled", COUNT, "quantity_cancelled", "Units cancelled."),
        c("quantity_shipped", COUNT, "quantity_shipped", "Units shipped."),
        c("quantity_returned", COUNT, "quantity_returned", "Units received back."),
        c("is_final_sale", FLAG, "is_final_sale", "Not returnable."),
        c("currency", TEXT, "order__currency", "The order's currency."),
        c(
            "order_created_at",
            TIMESTAMP,
            "order__created_at",
            "Order placed (UTC).",
            nullable=False,
        ),
        c(
            "updated_at",
            TIMESTAMP,
            "order__updated_at",
            "The order's version (UTC).",
            nullable=False,
        ),
    ),
)

SHIPMENTS = Dataset(
    name="shipments",
    description="One row per version of a shipment (a parcel from one warehouse).",
    queryset=lambda: Shipment.objects.all(),
    watermark=Watermark.UPDATED_AT,
    partition_by="created_at",
    personal_data="No tracking number (it opens the carrier's page with the address).",
    columns=(
        c("id", ID, "id", "Shipment id.", nullable=False),
        c("order_id", ID, "order_id", "Order id.", nullable=False),
        c("number", TEXT, "number", "Shipment number."),
        c("warehouse_id", ID, "warehouse_id", "Warehouse id."),
        c("warehouse_code", TEXT, "warehouse__code", "Warehouse code."),
        c("status", TEXT, "status", "Shipment status at this version."),
        c("carrier", TEXT, "carrier", "Carrier code (empty until shipped)."),
        c("service", TEXT, "service", "Carrier service."),
        c("promised_delivery_date", DATE, "promised_delivery_date", "Promised to the customer."),
        c("estimated_delivery_date", DATE, "estimated_delivery_date", "Carrier's estimate."),
        c("shipped_at", TIMESTAMP, "shipped_at", "Handed to the carrier (UTC)."),
        c("delivered_at", TIMESTAMP, "delivered_at", "Delivered (UTC)."),
        c("last_tracking_at", TIMESTAMP, "last_tracking_at", "Newest carrier scan (UTC)."),
        c("delayed_at", TIMESTAMP, "delayed_at", "Found late, stalled or in exception (UTC)."),
        c("delay_reason", TEXT, "delay_reason", "late, stalled or exception."),
        c("created_at", TIMESTAMP, "created_at", "Created (UTC).", nullable=False),
        c("updated_at", TIMESTAMP, "updated_at", "This version (UTC).", nullable=False),
    ),
)

TRACKING_EVENTS = Dataset(
    name="tracking_events",
    description="Carrier scans, append-only.",
    queryset=lambda: TrackingEvent.objects.all(),
    watermark=Watermark.ID,
    created_field="received_at",
    partition_by="occurred_at",
    personal_data="No description (carriers write who signed for the parcel there).",
    columns=(
        c("id", ID, "id", "Tracking event id.", nullable=False),
        c("shipment_id", ID, "shipment_id", "Shipment id.", nullable=False),
        c("carrier", TEXT, "carrier", "Carrier code."),
        c(
            "status",
            TEXT,
            "status",
            "label_created, picked_up, in_transit, out_for_delivery, delivered, exception or info.",
        ),
        c("location", TEXT, "location", "Where the scan happened."),
        c("actor_kind", TEXT, "actor_kind", "Who posted it (api_client, system...)."),
        c(
            "occurred_at",
            TIMESTAMP,
            "occurred_at",
            "Scan time from the carrier (UTC).",
            nullable=False,
        ),
        c("received_at", TIMESTAMP, "received_at", "Received by the OMS (UTC).", nullable=False),
    ),
)

CASES = Dataset(
    name="cases",
    description="One row per version of a support case (a customer contact and what was done "
    "about it). updated_at is the time of the case's newest event.",
    queryset=lambda: Case.objects.all(),
    watermark=Watermark.CASE_EVENTS,
    created_field="opened_at",
    partition_by="opened_at",
    personal_data="No subject, resolution or survey comment (free text); staff by id only.",
    columns=(
        c("id", ID, "id", "Case id (C-<id> in the console).", nullable=False),
        c("customer_id", ID, "customer_id", "Customer id (pseudonymous)."),
        c("order_id", ID, "order_id", "The order it is about, if any."),
        c("shipment_id", ID, "shipment_id", "The shipment it is about, if any."),
        c("channel", TEXT, "channel", "phone, email, chat or portal (first contact)."),
        c("reason", TEXT, "reason", "Contact reason (wismo = where is my order...)."),
        c("status", TEXT, "status", "open, waiting or resolved at this version."),
        c("contact_count", COUNT, "contact_count", "Contacts so far (1 = first contact)."),
        c("assigned_to_id", ID, "assigned_to_id", "Staff user id of the owner."),
        c("opened_at", TIMESTAMP, "opened_at", "First contact (UTC).", nullable=False),
        c("last_contact_at", TIMESTAMP, "last_contact_at", "Latest contact (UTC)."),
        c("resolved_at", TIMESTAMP, "resolved_at", "Resolved (UTC), if resolved."),
        c("csat_sent_at", TIMESTAMP, "csat_sent_at", "Satisfaction survey sent (UTC)."),
        c("csat_score", COUNT, "csat_score", "Satisfaction 1-5, if answered."),
        c("csat_answered_at", TIMESTAMP, "csat_answered_at", "Survey answered (UTC)."),
        c(
            "updated_at",
            TIMESTAMP,
            None,
            "This version: the newest case event (UTC).",
            nullable=False,
        ),
    ),
)

CONTACTS = Dataset(
    name="contacts",
    description="Every customer contact, append-only: the one that opened a case "
    "(is_first_contact) and each further contact about it (case events of type contact).",
    queryset=lambda: CaseEvent.objects.filter(
        type__in=[CaseEvent.Type.OPENED, CaseEvent.Type.CONTACT]
    ),
    watermark=Watermark.ID,
    partition_by="created_at",
    personal_data="No note text.",
    columns=(
        c("id", ID, "id", "Case event id.", nullable=False),
        c("case_id", ID, "case_id", "Case id.", nullable=False),
        c(
            "is_first_contact",
            FLAG,
            _flag(Q(type=CaseEvent.Type.OPENED)),
            "The contact that opened the case.",
            nullable=False,
        ),
        c("channel", TEXT, KT("data__channel"), "phone, email, chat or portal."),
        c("reason", TEXT, "case__reason", "The case's contact reason."),
        c("actor_kind", TEXT, "actor_kind", "Who recorded it (staff, customer, system...)."),
        c("created_at", TIMESTAMP, "created_at", "When (UTC).", nullable=False),
    ),
)

RETURNS = Dataset(
    name="returns",
    description="One row per version of a return (RMA).",
    queryset=lambda: ReturnRequest.objects.all(),
    watermark=Watermark.UPDATED_AT,
    partition_by="created_at",
    personal_data="No customer comment, decision text or return tracking number.",
    columns=(
        c("id", ID, "id", "Return id.", nullable=False),
        c("rma", TEXT, "rma", "RMA number."),
        c("order_id", ID, "order_id", "Order id.", nullable=False),
        c("customer_id", ID, "customer_id", "Customer id (pseudonymous)."),
        c("status", TEXT, "status", "Return status at this version."),
        c("resolution", TEXT, "resolution", "refund, store_credit, exchange..."),
        c("requested_via", TEXT, "requested_via", "portal, console or api."),
        c("is_withdrawal", FLAG, "is_withdrawal", "Statutory withdrawal."),
        c("is_instant_exchange", FLAG, "is_instant_exchange", "Instant exchange."),
        c("is_keep_it", FLAG, "is_keep_it", "Refunded without return."),
        c("refund_release", TEXT, "refund_release", "When the money is released."),
        c("warehouse_id", ID, "warehouse_id", "Warehouse it goes back to."),
        c("currency", TEXT, "currency", "Currency of the amounts."),
        c("items_amount", MONEY, "items_amount", "Items' value (estimate)."),
        c("restocking_fee", MONEY, "restocking_fee", "Restocking fee."),
        c("return_shipping_fee", MONEY, "return_shipping_fee", "Return shipping fee."),
        c("shipping_refund", MONEY, "shipping_refund", "Original shipping refunded."),
        c("bonus_amount", MONEY, "bonus_amount", "Store credit bonus."),
        c("estimated_total", MONEY, "estimated_total", "Estimated refund."),
        c("refunded_amount", MONEY, "refunded_amount", "Refunded so far."),
        c("credited_amount", MONEY, "credited_amount", "Store credit so far."),
        c("exchange_order_id", ID, "exchange_order_id", "The exchange order, if any."),
        c("carrier", TEXT, "carrier", "Return carrier."),
        c("created_at", TIMESTAMP, "created_at", "Requested (UTC).", nullable=False),
        c("updated_at", TIMESTAMP, "updated_at", "This version (UTC).", nullable=False),
        c("approved_at", TIMESTAMP, "approved_at", "Approved (UTC)."),
        c("shipped_at", TIMESTAMP, "shipped_at", "First carrier scan (UTC)."),
        c("received_at", TIMESTAMP, "received_at", "Received (UTC)."),
        c("inspected_at", TIMESTAMP, "inspected_at", "Inspected (UTC)."),
        c("resolved_at", TIMESTAMP, "resolved_at", "Refunded, credited or exchanged (UTC)."),
        c("closed_at", TIMESTAMP, "closed_at", "Closed (UTC)."),
        c("expires_at", TIMESTAMP, "expires_at", "Expires without a scan by (UTC)."),
    ),
)

RETURN_LINES = Dataset(
    name="return_lines",
    description="One row per version of a return line, exported with each version of its "
    "return (updated_at is the return's).",
    queryset=lambda: ReturnLine.objects.all(),
    watermark=Watermark.PARENT_UPDATED_AT,
    parent_queryset=lambda: ReturnRequest.objects.all(),
    parent_lookup="return_request_id",
    partition_by="return_created_at",
    personal_data="No comment.",
    columns=(
        c("id", ID, "id", "Return line id.", nullable=False),
        c("return_id", ID, "return_request_id", "Return id.", nullable=False),
        c("order_line_id", ID, "order_line_id", "Order line id."),
        c("sku", TEXT, "order_line__sku", "SKU returned."),
        c("product_id", ID, "order_line__variant__product_id", "Product id."),
        c("quantity", COUNT, "quantity", "Units asked to return."),
        c("reason", TEXT, "reason", "Return reason."),
        c("unit_amount", MONEY, "unit_amount", "Refund per unit."),
        c("restocking_fee", MONEY, "restocking_fee", "Restocking fee on the line."),
        c("exchange_variant_id", ID, "exchange_variant_id", "Variant wanted in exchange."),
        c("quantity_received", COUNT, "quantity_received", "Units received."),
        c("condition", TEXT, "condition", "Condition found at inspection."),
        c("disposition", TEXT, "disposition", "restock, damaged or scrap."),
        c("quantity_restocked", COUNT, "quantity_restocked", "Units back in stock."),
        c("currency", TEXT, "return_request__currency", "The return's currency."),
        c(
            "return_created_at",
            TIMESTAMP,
            "return_request__created_at",
            "Return requested (UTC).",
            nullable=False,
        ),
        c(
            "updated_at",
            TIMESTAMP,
            "return_request__updated_at",
            "The return's version (UTC).",
            nullable=False,
        ),
    ),
)

PAYMENT_REFUNDS = Dataset(
    name="payment_refunds",
    description="Refunds to the original payment as the gateway answered them (succeeded or "
    "failed), append-only; exported once answered.",
    queryset=lambda: PaymentTransaction.objects.filter(kind=PaymentTransaction.Kind.REFUND),
    watermark=Watermark.SETTLED,
    settled_column="status",
    settled_values=frozenset({"succeeded", "failed"}),
    partition_by="created_at",
    personal_data="No payment method label, reason text or gateway reference.",
    columns=(
        c("id", ID, "id", "Payment transaction id.", nullable=False),
        c("payment_id", ID, "payment_id", "Payment id."),
        c("order_id", ID, "payment__order_id", "Order id.", nullable=False),
        c("amount", MONEY, "amount", "Refunded amount."),
        c("currency", TEXT, "payment__currency", "Currency."),
        c("status", TEXT, "status", "succeeded or failed."),
        c("error_code", TEXT, "error_code", "The gateway's code when it failed."),
        c("actor_kind", TEXT, "actor_kind", "Who caused it (staff, customer, system...)."),
        c("created_at", TIMESTAMP, "created_at", "Asked (UTC).", nullable=False),
    ),
)

RETURN_REFUNDS = Dataset(
    name="return_refunds",
    description="Money a return moved (refund, store credit, bonus, exchange difference), "
    "append-only. A refund here reaches the card through payment_refunds: do not add both.",
    queryset=lambda: ReturnRefund.objects.all(),
    watermark=Watermark.ID,
    partition_by="created_at",
    personal_data="None.",
    columns=(
        c("id", ID, "id", "Return refund id.", nullable=False),
        c("return_id", ID, "return_request_id", "Return id.", nullable=False),
        c("order_id", ID, "return_request__order_id", "Order id.", nullable=False),
        c("kind", TEXT, "kind", "refund, store_credit, bonus or exchange_difference."),
        c("amount", MONEY, "amount", "Amount."),
        c("currency", TEXT, "return_request__currency", "Currency."),
        c("actor_kind", TEXT, "actor_kind", "Who released it."),
        c("created_at", TIMESTAMP, "created_at", "Released (UTC).", nullable=False),
    ),
)

ADJUSTMENTS = Dataset(
    name="adjustments",
    description="Price adjustments, goodwill credits and shipping fee waivers, append-only.",
    queryset=lambda: OrderAdjustment.objects.all(),
    watermark=Watermark.ID,
    partition_by="created_at",
    personal_data="No note; staff names replaced by whether it needed approval.",
    columns=(
        c("id", ID, "id", "Adjustment id.", nullable=False),
        c("order_id", ID, "order_id", "Order id.", nullable=False),
        c("line_id", ID, "line_id", "Order line id, for a line adjustment."),
        c("kind", TEXT, "kind", "price_adjustment, goodwill_credit or shipping_refund."),
        c("amount", MONEY, "amount", "Amount."),
        c("percentage", pa.decimal128(5, 2), "percentage", "Percentage asked, if any."),
        c("currency", TEXT, "order__currency", "The order's currency."),
        c("reason_code", TEXT, "reason_code", "Reason code."),
        c("actor_kind", TEXT, "actor_kind", "Who applied it."),
        c(
            "was_approved",
            FLAG,
            _flag(~Q(approved_by_label="")),
            "Above the rep's authority: a supervisor approved it.",
            nullable=False,
        ),
        c("created_at", TIMESTAMP, "created_at", "Applied (UTC).", nullable=False),
    ),
)

NOTIFICATIONS = Dataset(
    name="notifications",
    description="Each message on each channel (email, SMS, webhook, live update) and what "
    "became of it; exported once settled (sent, skipped or given up).",
    queryset=lambda: Delivery.objects.all(),
    watermark=Watermark.SETTLED,
    settled_column="status",
    settled_values=frozenset({"sent", "skipped", "dead"}),
    partition_by="created_at",
    personal_data="No message body or subject; the recipient (address, phone, endpoint or "
    "topic) only as recipient_hash, HMAC-SHA256 keyed by the deployment's SECRET_KEY.",
    columns=(
        c("id", ID, "id", "Delivery id.", nullable=False),
        c("message_id", TEXT, "message_id", "Outbox message id (UUID).", convert=str),
        c("channel", TEXT, "channel", "email, sms, whatsapp, webhook or live."),
        c("event_type", TEXT, "event_type", "Event, e.g. order.shipped."),
        c("aggregate_type", TEXT, "aggregate_type", "order, return, case, customer..."),
        c("aggregate_id", TEXT, "aggregate_id", "Order number, RMA, case id..."),
        c("recipient_hash", TEXT, "target", "Keyed hash of the recipient.", convert=recipient_hash),
        c("endpoint_id", ID, "endpoint_id", "Webhook endpoint id."),
        c("status", TEXT, "status", "sent, skipped or dead."),
        c("attempts", COUNT, "attempts", "Attempts made."),
        c("created_at", TIMESTAMP, "created_at", "Queued (UTC).", nullable=False),
        c("sent_at", TIMESTAMP, "sent_at", "Sent (UTC)."),
    ),
)

DATASETS: dict[str, Dataset] = {
    dataset.name: dataset
    for dataset in (
        ORDERS,
        ORDER_LINES,
        SHIPMENTS,
        TRACKING_EVENTS,
        CASES,
        CONTACTS,
        RETURNS,
        RETURN_LINES,
        PAYMENT_REFUNDS,
        RETURN_REFUNDS,
        ADJUSTMENTS,
        NOTIFICATIONS,
    )
}


def type_name(data_type: pa.DataType) -> str:
    if pa.types.is_decimal(data_type):
        return f"decimal({data_type.precision},{data_type.scale})"
    if pa.types.is_timestamp(data_type):
        return "timestamp (UTC)"
    if pa.types.is_date(data_type):
        return "date"
    return str(data_type)


def schema_markdown() -> str:
    """The schema tables of docs/insights.md (a test keeps the page equal to this)."""
    watermarks = {
        Watermark.ID: "append-only, by id",
        Watermark.UPDATED_AT: "versions, by (updated_at, id)",
        Watermark.PARENT_UPDATED_AT: "versions, with each version of the parent",
        Watermark.SETTLED: "append-only, by id, once settled",
        Watermark.CASE_EVENTS: "versions, by the case's newest event",
    }
    parts = []
    for dataset in DATASETS.values():
        parts.append(f"#### `{dataset.name}`\n")
        parts.append(
            f"{dataset.description} Exported: {watermarks[dataset.watermark]}. Partition: "
            f"the UTC date of `{dataset.partition_by}`. Personal data: {dataset.personal_data}\n"
        )
        parts.append("| column | type | description |\n| --- | --- | --- |")
        for column in dataset.columns:
            required = "" if column.nullable else ", not null"
            parts.append(
                f"| `{column.name}` | {type_name(column.type)}{required} | {column.description} |"
            )
        parts.append("")
    return "\n".join(parts)
