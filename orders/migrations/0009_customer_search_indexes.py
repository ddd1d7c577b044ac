"""Indexes for the console search's customer lookups (support.selectors.search), which the
1,000,000-order benchmark found scanning every customer:

- an email's start, `lower(email) LIKE 'ann.lee%'`: the unique index on lower(email) serves
  equality only, since LIKE uses a btree only under the C collation (ours is C.UTF-8); a
  text_pattern_ops index serves the prefix;
- a name fragment, `upper(name::text) LIKE upper('%lee%')` (Django's icontains): a trigram
  GIN index (pg_trgm, a trusted extension since PostgreSQL 13).

PostgreSQL only, as raw SQL: SQLite (`make run` without DATABASE_URL) has neither operator
classes nor GIN, and its demo-sized tables do not need them.
"""

from django.db import migrations

INDEXES = [
    (
        "customer_email_prefix_idx",
        "ON orders_customer (lower(email::text) text_pattern_ops)",
    ),
    (
        "customer_name_trgm_idx",
        "ON orders_customer USING gin (upper(name::text) gin_trgm_ops)",
    ),
]


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, definition in INDEXES:
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} {definition}")


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _ in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("orders", "0008_orderevent_feedback")]
    operations = [migrations.RunPython(create_indexes, drop_indexes)]
