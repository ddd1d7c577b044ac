"""The data-lake export round-trips: what pyarrow and DuckDB read back equals the database,
dataset by dataset and field by field; a re-run adds nothing; a changed order adds one new
version; a run that fails moves no cursor and leaves no file; object stores work (memory://);
personal data never leaves in clear."""

import json
from datetime import UTC
from decimal import Decimal

import duckdb
import fsspec
import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.crypto import salted_hmac

from insights.export import run as export_run
from insights.export.datasets import DATASETS, SCHEMA_VERSION
from insights.export.run import run_export
from insights.models import ExportCursor, ExportRun
from oms.actors import Actor
from orders import services
from tests.insights.export_store import (
    CONTACT_NOTE,
    EMAIL,
    KWD_EMAIL,
    SUBJECT,
    build_store,
    kwd_store_order,
    later,
    parquet_files,
    read_dataset,
)

pytestmark = pytest.mark.django_db

ACTOR = Actor.system("tests")


def attribute(instance, path: str):
    for part in path.split("__"):
        if instance is None:
            return None
        instance = getattr(instance, part)
    return instance


def recipient(target: str) -> str:
    key = "insights.export.recipient"
    return salted_hmac(key, target.strip().lower(), algorithm="sha256").hexdigest()


# Columns that are not a plain attribute of the row, worked out here by hand.
DERIVED = {
    ("orders", "ship_country"): lambda order: order.shipping_address.get("country"),
    ("orders", "ship_region"): lambda order: order.shipping_address.get("region"),
    ("cases", "updated_at"): lambda case: max(event.created_at for event in case.events.all()),
    ("contacts", "is_first_contact"): lambda event: event.type == "opened",
    ("contacts", "channel"): lambda event: event.data["channel"],
    ("adjustments", "was_approved"): lambda adjustment: adjustment.approved_by_label != "",
    ("notifications", "message_id"): lambda delivery: str(delivery.message_id),
    ("notifications", "recipient_hash"): lambda delivery: recipient(delivery.target),
}


def expected_rows(name: str) -> list[dict]:
    """The dataset's rows as the database holds them now, one per row."""
    dataset = DATASETS[name]
    rows = []
    for instance in dataset.queryset().order_by("id"):
        row = {}
        for column in dataset.columns:
            derive = DERIVED.get((name, column.name))
            if derive is not None:
                row[column.name] = derive(instance)
            else:
                assert isinstance(column.source, str), (name, column.name)
                row[column.name] = attribute(instance, column.source)
        if dataset.settled_column and row[dataset.settled_column] not in dataset.settled_values:
            continue
        row["date"] = row[dataset.partition_by].astimezone(UTC).date().isoformat()
        rows.append(row)
    return rows


def duckdb_rows(root, name: str) -> list[dict]:
    relation = duckdb.sql(
        f"SELECT * FROM read_parquet('{root}/{name}/*/*.parquet', hive_partitioning=true) "
        "ORDER BY id"
    )
    return relation.to_arrow_table().to_pylist()  # (fetchall needs pytz for timestamptz)


def test_every_dataset_reads_back_as_the_database_holds_it(
    tmp_path, django_capture_on_commit_callbacks
):
    build_store(django_capture_on_commit_callbacks)
    lake = tmp_path / "lake"

    result = run_export(str(lake), now=later())

    assert [dataset.name for dataset in result.datasets] == list(DATASETS)
    for name in DATASETS:
        expected = expected_rows(name)
        assert expected, f"the store has no {name}"
        assert read_dataset(lake, name) == expected, name
        from_duckdb = duckdb_rows(lake, name)
        assert [{**row, "date": row["date"].isoformat()} for row in from_duckdb] == expected
        assert result.manifest["datasets"][name]["rows"] == len(expected)


def test_money_keeps_every_decimal_and_timestamps_are_utc(
    tmp_path, django_capture_on_commit_callbacks
):
    store = build_store(django_capture_on_commit_callbacks)
    lake = tmp_path / "lake"
    run_export(str(lake), now=later())

    kwd = next(row for row in read_dataset(lake, "orders") if row["id"] == store.kwd_order.pk)
    assert kwd["currency"] == "KWD"
    assert kwd["subtotal"] == Decimal("37.035") == store.kwd_order.subtotal
    assert kwd["total"] == store.kwd_order.total
    assert kwd["total"].as_tuple().exponent == -3
    assert kwd["created_at"] == store.kwd_order.created_at
    assert kwd["created_at"].utcoffset().total_seconds() == 0

    import pyarrow.parquet as pq

    schema = pq.read_schema(next((lake / "orders").rglob("*.parquet")))
    assert str(schema.field("total").type) == "decimal128(14, 3)"
    assert str(schema.field("created_at").type) == "timestamp[us, tz=UTC]"
    assert schema.metadata[b"oms.schema_version"] == str(SCHEMA_VERSION).encode()


def test_files_are_partitioned_by_date_with_a_manifest_and_a_schema_per_dataset(
    tmp_path, django_capture_on_commit_callbacks
):
    store = build_store(django_capture_on_commit_callbacks)
    lake = tmp_path / "lake"

    result = run_export(str(lake), now=later())

    day = store.order.created_at.astimezone(UTC).date().isoformat()
    assert f"orders/date={day}/part-{result.run_id}-00000.parquet" in parquet_files(lake)
    manifest = json.loads((lake / "_manifests" / f"{result.run_id}.json").read_text())
    assert manifest["run_id"] == result.run_id
    assert manifest["schema_version"] == SCHEMA_VERSION
    assert manifest["started_at"] <= manifest["finished_at"]
    orders = manifest["datasets"]["orders"]
    assert orders["rows"] == 2
    assert [entry["path"] for entry in orders["files"]] == [
        f"orders/date={day}/part-{result.run_id}-00000.parquet"
    ]
    assert orders["watermark"]["from"] == {"last_id": 0}
    assert orders["watermark"]["to"]["last_updated_at"] == store.kwd_order.updated_at.isoformat()
    listed = {entry["path"] for d in manifest["datasets"].values() for entry in d["files"]}
    assert listed == set(parquet_files(lake))
    for name in DATASETS:
        described = json.loads((lake / name / "_schema.json").read_text())
        assert described["schema_version"] == SCHEMA_VERSION
        assert [c["name"] for c in described["columns"]] == [c.name for c in DATASETS[name].columns]
    run = ExportRun.objects.get(run_id=result.run_id)
    assert run.status == ExportRun.Status.SUCCEEDED
    assert run.rows == {d.name: d.rows for d in result.datasets}


def test_a_second_run_exports_nothing(tmp_path, django_capture_on_commit_callbacks):
    build_store(django_capture_on_commit_callbacks)
    lake = tmp_path / "lake"
    run_export(str(lake), now=later())
    files = parquet_files(lake)

    again = run_export(str(lake), now=later())

    assert again.rows == 0
    assert all(dataset.rows == 0 for dataset in again.datasets)
    assert parquet_files(lake) == files
    assert all(d["rows"] == 0 for d in again.manifest["datasets"].values())
    assert len(list((lake / "_manifests").iterdir())) == 2


def test_a_changed_order_is_exported_once_more_as_a_new_version(
    tmp_path, django_capture_on_commit_callbacks
):
    store = build_store(django_capture_on_commit_callbacks)
    lake = tmp_path / "lake"
    run_export(str(lake), now=later())
    before = store.kwd_order.updated_at

    services.hold_order(order=store.kwd_order, actor=ACTOR, reason="fraud review")
    result = run_export(str(lake), now=later())

    rows = {d.name: d.rows for d in result.datasets}
    assert rows["orders"] == 1
    assert rows["order_lines"] == 1  # the order's one line, with the order's version
    assert rows["shipments"] == 0
    versions = [r for r in read_dataset(lake, "orders") if r["id"] == store.kwd_order.pk]
    store.kwd_order.refresh_from_db()
    assert [(r["status"], r["updated_at"]) for r in versions] == [
        ("confirmed", before),
        ("on_hold", store.kwd_order.updated_at),
    ]
    assert len(read_dataset(lake, "orders")) == 3
    latest = duckdb.sql(
        f"SELECT id, status FROM read_parquet('{lake}/orders/*/*.parquet', hive_partitioning=true)"
        " QUALIFY row_number() OVER (PARTITION BY id ORDER BY updated_at DESC) = 1 ORDER BY id"
    ).fetchall()
    assert latest == [(store.order.pk, "delivered"), (store.kwd_order.pk, "on_hold")]


def test_a_run_that_fails_after_the_first_dataset_moves_no_cursor_and_leaves_no_file(
    tmp_path, django_capture_on_commit_callbacks, monkeypatch
):
    build_store(django_capture_on_commit_callbacks)
    lake = tmp_path / "lake"
    real_export_dataset = export_run.export_dataset
    calls = []

    def failing_after_the_first(dataset, **kwargs):
        if calls:
            raise RuntimeError("disk full")
        calls.append(dataset.name)
        return real_export_dataset(dataset, **kwargs)

    monkeypatch.setattr(export_run, "export_dataset", failing_after_the_first)
    with pytest.raises(RuntimeError, match="disk full"):
        run_export(str(lake), now=later())

    assert calls == ["orders"]
    assert not ExportCursor.objects.exists()
    assert parquet_files(lake) == []
    assert not (lake / "_manifests").exists()
    failed = ExportRun.objects.get()
    assert failed.status == ExportRun.Status.FAILED
    assert "disk full" in failed.error
    assert len(failed.files) == 1 and failed.files[0].startswith("orders/")  # then removed
    assert failed.cleaned_at is not None

    monkeypatch.setattr(export_run, "export_dataset", real_export_dataset)
    result = run_export(str(lake), now=later())

    for name in DATASETS:
        assert read_dataset(lake, name) == expected_rows(name), name
    assert result.rows == sum(len(expected_rows(name)) for name in DATASETS)


def test_an_object_store_url_works_like_a_folder(django_capture_on_commit_callbacks):
    build_store(django_capture_on_commit_callbacks)
    memory = fsspec.filesystem("memory")
    if memory.exists("/lake-test"):
        memory.rm("/lake-test", recursive=True)

    result = run_export("memory://lake-test", now=later())
    again = run_export("memory://lake-test", now=later())

    assert result.target == "memory:///lake-test"
    assert again.rows == 0
    for name in DATASETS:
        assert read_dataset("/lake-test", name, filesystem=memory) == expected_rows(name), name
    manifest = json.loads(memory.cat(f"/lake-test/_manifests/{result.run_id}.json"))
    assert manifest["datasets"]["orders"]["rows"] == 2
    connection = duckdb.connect()
    connection.register_filesystem(memory)
    count = connection.sql(
        "SELECT count(*) FROM read_parquet('memory:///lake-test/orders/*/*.parquet', "
        "hive_partitioning=true)"
    ).fetchall()
    assert count == [(2,)]
    memory.rm("/lake-test", recursive=True)


def test_personal_data_never_leaves_in_clear(tmp_path, django_capture_on_commit_callbacks):
    store = build_store(django_capture_on_commit_callbacks)
    lake = tmp_path / "lake"
    run_export(str(lake), now=later())

    secrets = [
        EMAIL,
        KWD_EMAIL,
        "Ana Souza",
        "Kuwait",
        "Rua Augusta",
        "01305-000",
        "+1 555",
        "+1555",
        SUBJECT,
        CONTACT_NOTE,
        "agent.smith",
        store.order.shipments.first().tracking_number,
    ]
    for name in DATASETS:
        for row in read_dataset(lake, name):
            for value in row.values():
                if isinstance(value, str):
                    assert not any(s.lower() in value.lower() for s in secrets), (name, value)
    emails = [r for r in read_dataset(lake, "notifications") if r["channel"] == "email"]
    assert emails
    assert {r["recipient_hash"] for r in emails} >= {recipient(EMAIL)}


def test_the_command_exports_the_datasets_asked_for(tmp_path, django_capture_on_commit_callbacks):
    build_store(django_capture_on_commit_callbacks)
    lake = tmp_path / "lake"

    call_command(
        "export_facts", "--to", str(lake), "--datasets", "orders,shipments", "--settle-seconds=0"
    )

    assert sorted(p.name for p in lake.iterdir()) == ["_manifests", "orders", "shipments"]
    assert len(read_dataset(lake, "shipments")) == len(expected_rows("shipments"))
    with pytest.raises(CommandError, match="unknown dataset"):
        call_command("export_facts", "--to", str(lake), "--datasets", "orders,parcels")


def test_the_export_reads_in_the_same_number_of_queries_whatever_the_number_of_rows(
    tmp_path, django_capture_on_commit_callbacks
):
    build_store(django_capture_on_commit_callbacks)
    with CaptureQueriesContext(connection) as few:
        run_export(str(tmp_path / "few"), now=later())
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(5):
            kwd_store_order()

    with CaptureQueriesContext(connection) as more:
        result = run_export(str(tmp_path / "more"), now=later())

    assert result.manifest["datasets"]["orders"]["rows"] == 7
    assert len(more.captured_queries) == len(few.captured_queries)
