"""Customers: found by email (case-insensitive) or created on their first order."""

from django.db import IntegrityError, transaction

from orders.models import Address, Customer


def get_or_create_customer(
    *, email: str, name: str, phone: str = "", locale: str = "en", country: str = "US"
) -> Customer:
    """The customer with this email, created if new. Existing details are not overwritten by
    an order: a typo at checkout must not rename a customer."""
    email = email.strip().lower()
    customer = Customer.objects.filter(email__iexact=email).first()
    if customer is not None:
        return customer
    try:
        with transaction.atomic():
            return Customer.objects.create(
                email=email, name=name, phone=phone, locale=locale, country=country
            )
    except IntegrityError:  # created by a concurrent order a moment ago
        return Customer.objects.get(email__iexact=email)


def remember_address(customer: Customer, snapshot: dict[str, str]) -> None:
    """Keep a new shipping address on the customer for the next order (console, later)."""
    fields = {
        k: snapshot.get(k, "")
        for k in ("name", "line1", "line2", "city", "region", "postal_code", "country", "phone")
    }
    if not Address.objects.filter(
        customer=customer, line1=fields["line1"], postal_code=fields["postal_code"]
    ).exists():
        Address.objects.create(
            customer=customer, is_default=not customer.addresses.exists(), **fields
        )
