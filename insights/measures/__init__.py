"""The insights measures: each number the dashboard and the API show, with its definition,
computed with set-based queries (a bounded number whatever the amount of data), the same on
SQLite and PostgreSQL. One module per family; `MEASURES` lists them by code."""

from insights.measures import contacts, cost, delivery, repurchase, resolution, returns
from insights.measures.base import (
    ALL,
    CUTS,
    MEASURES,
    NONE,
    Measure,
    Period,
    Row,
    Unit,
    get_measure,
)

__all__ = [
    "ALL",
    "CUTS",
    "MEASURES",
    "NONE",
    "Measure",
    "Period",
    "Row",
    "Unit",
    "contacts",
    "cost",
    "delivery",
    "get_measure",
    "repurchase",
    "resolution",
    "returns",
]
