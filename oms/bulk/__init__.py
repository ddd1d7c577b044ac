"""A large, believable store generated inside PostgreSQL (set-based SQL), for benchmarks and
for trying the console and the API at scale: `manage.py seed_bulk --orders N`."""
