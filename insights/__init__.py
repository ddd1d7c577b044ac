"""Insights: customer contacts joined with logistics, early bottleneck alerts, and the
data-lake export. Sits on top of every other app; nothing imports it."""
