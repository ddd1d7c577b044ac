"""Demo returns for seed_demo (support/management/commands/seed_demo.py)."""

from returns.demo.seed import seed_returns

__all__ = ["seed_returns"]
