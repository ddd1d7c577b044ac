"""Every write of the returns app, one module per area (store_credit, ...). Import from the
submodule: `from returns.services import store_credit`."""
