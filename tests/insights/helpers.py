"""Reading measure rows in tests: {key: (numerator, denominator, value)}."""

from decimal import Decimal

from insights.measures import Period, get_measure


def table(code: str, period: Period, cut: str | None = None, **filters) -> dict:
    rows = get_measure(code).compute(period, cut=cut, filters=filters or None)
    return {row.key: (row.numerator, row.denominator, row.value) for row in rows}


def d(value: str | int | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def numbers(orders) -> list[str]:
    return sorted(order.number for order in orders)
