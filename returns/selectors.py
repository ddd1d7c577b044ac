"""Reads of the returns app that the console, the API and services share."""

from decimal import Decimal

from django.db.models import QuerySet, Sum

from orders import money
from orders.models import Customer
from returns.models import StoreCreditEntry


def balance(customer: Customer | int, currency: str) -> Decimal:
    """The customer's store credit in `currency`: the sum of their ledger entries."""
    customer_id = customer if isinstance(customer, int) else customer.pk
    total = StoreCreditEntry.objects.filter(customer_id=customer_id, currency=currency).aggregate(
        s=Sum("amount")
    )["s"]
    return money.quantize(total or Decimal(0), currency)


def balances(customer: Customer | int) -> dict[str, Decimal]:
    """Store credit per currency the customer has ever had some in, currencies in order."""
    customer_id = customer if isinstance(customer, int) else customer.pk
    rows = (
        StoreCreditEntry.objects.filter(customer_id=customer_id)
        .values("currency")
        .annotate(s=Sum("amount"))
        .order_by("currency")
    )
    return {row["currency"]: money.quantize(row["s"], row["currency"]) for row in rows}


def store_credit_entries(customer: Customer | int) -> QuerySet[StoreCreditEntry]:
    """The customer's ledger, newest first (slice it: it is not bounded)."""
    customer_id = customer if isinstance(customer, int) else customer.pk
    return (
        StoreCreditEntry.objects.filter(customer_id=customer_id)
        .select_related("order")
        .order_by("-created_at", "-id")
    )
