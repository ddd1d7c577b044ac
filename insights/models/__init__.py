"""Insights models; import them from here."""

from insights.models.alerts import Alert, AlertMetric, AlertNotice, AlertStatus, AlertSubject
from insights.models.export import ExportCursor, ExportRun

__all__ = [
    "Alert",
    "AlertMetric",
    "AlertNotice",
    "AlertStatus",
    "AlertSubject",
    "ExportCursor",
    "ExportRun",
]
