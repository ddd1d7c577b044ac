"""Simulated-time scenarios for the early warning: a store generated from a seed (parcels,
scans, customers' contacts), with or without a carrier disruption, and a runner that asks the
detection every 15 simulated minutes, as beat does live. The test tests/insights/
test_alert_scenario.py proves the alerts on it both ways."""

from insights.scenarios.run import Timeline, run_every
from insights.scenarios.store import ScenarioSpec, Store, generate, write

__all__ = ["ScenarioSpec", "Store", "Timeline", "generate", "run_every", "write"]
