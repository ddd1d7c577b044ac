"""REST API of the notifications app: webhook endpoints and their deliveries."""
