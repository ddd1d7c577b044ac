"""Template filters for return emails: the codes a return payload carries, as the customer reads
them. notifications sits below returns (apps depend one way), so the reason labels repeat the
msgids of returns.models.ReturnReason (a test keeps them equal) and share their translations."""

from datetime import UTC

from django import template
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext_lazy as _

register = template.Library()

REASONS = {
    "size_too_small": _("Size too small"),
    "size_too_large": _("Size too large"),
    "not_as_described": _("Not as described"),
    "damaged": _("Arrived damaged"),
    "defective": _("Defective"),
    "wrong_item": _("Wrong item sent"),
    "no_longer_wanted": _("No longer wanted"),
    "arrived_late": _("Arrived too late"),
    "other": _("Other"),
    "withdrawal": _("Right of withdrawal"),
}
# Worded for the customer (the admin's labels speak of variants).
RESOLUTIONS = {
    "refund": _("Refund to your original payment method"),
    "store_credit": _("Store credit"),
    "exchange": _("Exchange for another size or colour"),
}
# The law behind a statutory withdrawal (returns.policy.types.WithdrawalRight.code).
WITHDRAWAL_LAWS = {
    "br_cdc_49": _("Brazilian Consumer Protection Code (Law 8.078/1990), article 49"),
    "eu_14_days": _("EU Consumer Rights Directive 2011/83/EU, articles 9 to 16"),
}


@register.filter
def return_reason(code: str) -> str:
    return str(REASONS.get(code, code or ""))


@register.filter
def return_resolution(code: str) -> str:
    return str(RESOLUTIONS.get(code, code or ""))


@register.filter
def withdrawal_law(code: str) -> str:
    return str(WITHDRAWAL_LAWS.get(code, ""))


@register.filter
def parse_iso(value):
    """A payload's ISO 8601 time ("2026-11-24T18:00:00Z") as an aware datetime, a date
    ("2026-11-24") as a date; anything else as None (the row is left out)."""
    if not isinstance(value, str) or not value:
        return value or None
    try:
        parsed = parse_datetime(value)
    except ValueError:
        parsed = None
    if parsed is None:
        try:
            return parse_date(value[:10])
        except ValueError:
            return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
