"""The order core: catalog, warehouses and stock, customers, orders and their lines, sourcing and
allocation, payments through a gateway, shipments and tracking, the order state machine."""
