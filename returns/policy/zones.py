"""Where the customer's day ends: return windows close at midnight in the customer's time zone,
not the server's (a window that closes at 21:00 in São Paulo because the server runs on UTC
would cut the customer's last evening short)."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# The usual zone of a country, for customers who never told us theirs. Countries spanning
# several zones get the zone most of their people live in.
COUNTRY_ZONES: dict[str, str] = {
    "AR": "America/Argentina/Buenos_Aires",
    "AT": "Europe/Vienna",
    "AU": "Australia/Sydney",
    "BE": "Europe/Brussels",
    "BG": "Europe/Sofia",
    "BR": "America/Sao_Paulo",
    "CA": "America/Toronto",
    "CH": "Europe/Zurich",
    "CL": "America/Santiago",
    "CY": "Asia/Nicosia",
    "CZ": "Europe/Prague",
    "DE": "Europe/Berlin",
    "DK": "Europe/Copenhagen",
    "EE": "Europe/Tallinn",
    "ES": "Europe/Madrid",
    "FI": "Europe/Helsinki",
    "FR": "Europe/Paris",
    "GB": "Europe/London",
    "GR": "Europe/Athens",
    "HR": "Europe/Zagreb",
    "HU": "Europe/Budapest",
    "IE": "Europe/Dublin",
    "IT": "Europe/Rome",
    "JP": "Asia/Tokyo",
    "KR": "Asia/Seoul",
    "LT": "Europe/Vilnius",
    "LU": "Europe/Luxembourg",
    "LV": "Europe/Riga",
    "MT": "Europe/Malta",
    "MX": "America/Mexico_City",
    "NL": "Europe/Amsterdam",
    "PL": "Europe/Warsaw",
    "PT": "Europe/Lisbon",
    "RO": "Europe/Bucharest",
    "SE": "Europe/Stockholm",
    "SI": "Europe/Ljubljana",
    "SK": "Europe/Bratislava",
    "US": "America/New_York",
}
DEFAULT_ZONE = "UTC"


def zone_for_country(country: str) -> str:
    return COUNTRY_ZONES.get((country or "").upper(), DEFAULT_ZONE)


def customer_time_zone(order) -> str:
    """The IANA name of the zone the customer's days are counted in: their own setting, else
    the usual zone of the country the order ships to (where they receive the parcel and live
    with the window), else of the customer's country, else UTC. An unknown name in the
    customer's setting is ignored rather than trusted."""
    own = (order.customer.time_zone or "").strip()
    if own:
        try:
            ZoneInfo(own)
        except (ZoneInfoNotFoundError, ValueError):
            pass
        else:
            return own
    country = (order.shipping_address or {}).get("country") or order.customer.country
    return zone_for_country(country)


def end_of_day(day: date, zone: str) -> datetime:
    """The last instant of `day` in `zone` (aware). Compare with `<=`."""
    return datetime.combine(day, time.max, tzinfo=ZoneInfo(zone))


def window_end(start: datetime, days: int, zone: str) -> datetime:
    """The end of the last day of a window of `days` days that starts at `start`: the day of
    `start` in `zone` does not count, so delivered on 1 March with 30 days, the last day is
    31 March (the way consumers and the CDC count: "dias a contar do recebimento")."""
    local_day = start.astimezone(ZoneInfo(zone)).date()
    return end_of_day(local_day + timedelta(days=days), zone)
