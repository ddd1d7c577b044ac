"""REST API v1 for the order core: thin views over orders.services and orders.selectors."""
