"""Every write the console makes beyond the order core's own services, one module per area."""
