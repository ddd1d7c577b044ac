"""Reads the console pages share, one module per area (search, customers, orders, queues, cases)."""
