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
        key: snapshot.get(key, "")
        for key in ("name", "line2", "city", "region", "country", "phone")
    }
    try:
        with transaction.atomic():
            Address.objects.get_or_create(
                customer=customer,
                line1=snapshot["line1"],
                postal_code=snapshot["postal_code"],
                defaults={**fields, "is_default": not customer.addresses.exists()},
            )
    except IntegrityError:
        pass  # the same address, saved by a concurrent order a moment ago
