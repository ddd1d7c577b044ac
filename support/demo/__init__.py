"""Demo support cases for `manage.py seed_demo`: two months of customer contacts tied to the
demo's real orders, in believable proportions.

Late and stuck parcels bring "where is my order" and "delay" calls, delivered orders bring
"damaged", "wrong item" and returns, cancelled orders a cancellation (linked to the agent's real
cancellation on the order timeline). Most cases are resolved; some needed a second contact or
came back as a new case within 7 days (so first-contact resolution is not 100 %), some
customers answered the satisfaction survey, and a handful of recent cases are still open.

This is history, not live: rows are written with bulk_create and no outbox message, so nobody
is emailed and no webhook fires. Deterministic for a given random.Random and database."""

from support.demo.history import SEED_SALT, seed_cases

__all__ = [
    "SEED_SALT",
    "seed_cases",
]
