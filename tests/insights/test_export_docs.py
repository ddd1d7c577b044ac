"""docs/insights.md stays true: its DuckDB queries run against a real export and answer what the
database holds, and its schema tables are the schema the export writes."""

import re
from pathlib import Path

import duckdb
import pytest

from insights.export.datasets import schema_markdown
from insights.export.run import run_export
from orders.models import Shipment
from tests.insights.export_store import build_store, later

DOCS = Path(__file__).resolve().parents[2] / "docs" / "insights.md"
SQL_BLOCK = re.compile(r"```sql\n(.*?)```", re.DOTALL)


def sql_blocks() -> list[str]:
    return SQL_BLOCK.findall(DOCS.read_text())


@pytest.mark.django_db
def test_every_duckdb_query_of_the_docs_runs_against_a_real_export(
    tmp_path, django_capture_on_commit_callbacks
):
    store = build_store(django_capture_on_commit_callbacks)
    run_export(str(tmp_path / "lake"), now=later())
    blocks = sql_blocks()
    assert len(blocks) >= 8
    connection = duckdb.connect()

    answers = []
    for block in blocks:
        relation = connection.sql(block.replace("'lake/", f"'{tmp_path}/lake/"))
        answers.append(relation.to_arrow_table().to_pylist() if relation is not None else None)

    by_query = dict(zip(blocks, answers, strict=True))
    versions = next(a for b, a in by_query.items() if "shipment_versions" in b)
    assert sorted((row["carrier"], row["shipment_versions"]) for row in versions) == [
        ("", 1),  # the KWD order's parcel, not shipped yet
        ("ups", 1),
    ]
    on_time = next(a for b, a in by_query.items() if "on_time_pct" in b)
    assert [(row["carrier"], row["shipments"]) for row in on_time] == [
        ("ups", Shipment.objects.exclude(carrier="").count())
    ]
    per_warehouse = next(a for b, a in by_query.items() if "contacts_per_100_orders" in b)
    # Both orders have a first shipment; the case and its further contact are about EAST's.
    assert {row["warehouse"]: row["contacts_per_100_orders"] for row in per_warehouse} == {
        "EAST": 200.0,
        "KUW": 0.0,
    }
    assert store.case.contact_count == 2
    money = next(a for b, a in by_query.items() if "adjustment: " in b)
    assert {(row["what"], row["currency"]) for row in money} == {
        ("adjustment: goodwill_credit", "USD"),
        ("adjustment: price_adjustment", "KWD"),
        ("return: refund", "USD"),
    }


def test_the_schema_tables_of_the_docs_are_the_schema_the_export_writes():
    text = DOCS.read_text()
    start = text.index("\n", text.index("<!-- schema:start")) + 1
    end = text.index("<!-- schema:end -->")
    assert text[start:end].strip() == schema_markdown().strip()
