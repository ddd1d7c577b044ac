"""Every write of the insights app: early-warning alerts (raise, update, resolve) and the one
message each exposed customer gets about one."""

from insights.services.alerts import run_detection
from insights.services.notices import notify_exposed_customers

__all__ = ["notify_exposed_customers", "run_detection"]
