"""What each run picks up: rows that settle later (a delivery still retrying, a refund the
gateway has not answered), cases changed by a further contact, rows too fresh to be safe
(the settle time); and how runs guard the target: dead runs cleaned, one run at a time, one
schema version per folder. Plus the writer's files and the progress display."""

import io
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from insights.export import writer
from insights.export.datasets import ORDERS
from insights.export.progress import Progress
from insights.export.run import STALE_AFTER, ExportError, run_export
from insights.models import ExportCursor, ExportRun
from notifications.models import Delivery, OutboxMessage
from oms.actors import Actor
from orders.models import Payment, PaymentTransaction
from support.services import cases
from tests.insights.export_store import kwd_store_order, later, parquet_files, read_dataset
from tests.returns.lifecycle_builders import delivered_order

pytestmark = pytest.mark.django_db

ACTOR = Actor.system("tests")


def rows_of(result) -> dict[str, int]:
    return {dataset.name: dataset.rows for dataset in result.datasets}


def retrying_delivery() -> Delivery:
    message = OutboxMessage.objects.create(
        event_type="order.shipped", aggregate_type="order", aggregate_id="100001", payload={}
    )
    return Delivery.objects.create(
        message=message,
        channel="email",
        target="someone@example.com",
        event_type="order.shipped",
        aggregate_type="order",
        aggregate_id="100001",
        status=Delivery.Status.RETRYING,
        attempts=1,
        next_attempt_at=timezone.now(),
    )


def test_a_delivery_still_retrying_is_exported_once_it_settles(tmp_path):
    lake = str(tmp_path / "lake")
    delivery = retrying_delivery()

    first = run_export(lake, datasets=["notifications"], now=later())
    Delivery.objects.filter(pk=delivery.pk).update(status="sent", sent_at=timezone.now())
    second = run_export(lake, datasets=["notifications"], now=later())
    third = run_export(lake, datasets=["notifications"], now=later())

    assert (first.rows, second.rows, third.rows) == (0, 1, 0)
    assert first.manifest["datasets"]["notifications"]["watermark"]["to"]["held_unsettled"] == 1
    assert ExportCursor.objects.get(dataset="notifications").state == {"held": []}
    [row] = read_dataset(tmp_path / "lake", "notifications")
    assert (row["id"], row["status"], row["attempts"]) == (delivery.pk, "sent", 1)


def test_a_refund_is_exported_once_the_gateway_answers(
    tmp_path, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        order = delivered_order()
    payment = Payment.objects.get(order=order)
    pending = PaymentTransaction.objects.create(
        payment=payment,
        kind=PaymentTransaction.Kind.REFUND,
        amount=Decimal("5.00"),
        idempotency_key="refund-pending",
        **ACTOR.as_fields(),
    )
    lake = str(tmp_path / "lake")

    assert run_export(lake, datasets=["payment_refunds"], now=later()).rows == 0
    PaymentTransaction.objects.filter(pk=pending.pk).update(status="failed", error_code="declined")
    assert run_export(lake, datasets=["payment_refunds"], now=later()).rows == 1
    assert run_export(lake, datasets=["payment_refunds"], now=later()).rows == 0

    [row] = read_dataset(tmp_path / "lake", "payment_refunds")
    assert (row["status"], row["error_code"], row["amount"]) == ("failed", "declined", Decimal(5))


def test_a_further_contact_exports_the_case_again_and_one_contact(tmp_path):
    with_order = kwd_store_order()
    case = cases.open_case(
        customer=with_order.customer,
        channel="chat",
        reason="wismo",
        subject="Where is it?",
        order=with_order,
        actor=ACTOR,
    )
    lake = str(tmp_path / "lake")
    first = run_export(lake, datasets=["cases", "contacts"], now=later())

    cases.log_contact(case=case, channel="phone", actor=ACTOR)
    second = run_export(lake, datasets=["cases", "contacts"], now=later())
    third = run_export(lake, datasets=["cases", "contacts"], now=later())

    assert rows_of(first) == {"cases": 1, "contacts": 1}
    assert rows_of(second) == {"cases": 1, "contacts": 1}
    assert third.rows == 0
    versions = read_dataset(tmp_path / "lake", "cases")
    newest_event = case.events.order_by("-id").first()
    assert [(v["contact_count"], v["updated_at"]) for v in versions] == [
        (1, case.events.order_by("id").first().created_at),
        (2, newest_event.created_at),
    ]
    contacts = read_dataset(tmp_path / "lake", "contacts")
    assert [(c["is_first_contact"], c["channel"]) for c in contacts] == [
        (True, "chat"),
        (False, "phone"),
    ]


def test_rows_changed_within_the_settle_time_wait_for_the_next_run(tmp_path):
    kwd_store_order()
    lake = str(tmp_path / "lake")

    now = run_export(lake, datasets=["orders", "order_lines"])
    afterwards = run_export(lake, datasets=["orders", "order_lines"], now=later())

    assert now.rows == 0
    assert rows_of(afterwards) == {"orders": 1, "order_lines": 1}


def test_a_run_that_died_has_its_files_removed_by_the_next_run(tmp_path):
    lake = tmp_path / "lake"
    fs, root = writer.open_target(str(lake))
    orphan = "orders/date=2026-01-01/part-dead-00000.parquet"
    (lake / "orders" / "date=2026-01-01").mkdir(parents=True)
    (lake / orphan).write_bytes(b"half a file")
    dead = ExportRun.objects.create(
        target=writer.target_key(fs, root),
        run_id="dead",
        files=[orphan, "_manifests/dead.json"],
        heartbeat_at=timezone.now() - STALE_AFTER - timedelta(minutes=1),
    )

    run_export(str(lake), now=later())

    assert not (lake / orphan).exists()
    dead.refresh_from_db()
    assert dead.status == ExportRun.Status.FAILED
    assert dead.cleaned_at is not None


def test_an_export_to_a_target_another_run_is_writing_is_refused(tmp_path):
    lake = tmp_path / "lake"
    fs, root = writer.open_target(str(lake))
    ExportRun.objects.create(
        target=writer.target_key(fs, root), run_id="live", heartbeat_at=timezone.now()
    )
    kwd_store_order()

    with pytest.raises(ExportError, match="is running"):
        run_export(str(lake), now=later())

    assert parquet_files(lake) == []
    assert not ExportCursor.objects.exists()
    assert ExportRun.objects.count() == 1


def test_a_folder_written_with_another_schema_version_is_refused(tmp_path):
    lake = tmp_path / "lake"
    (lake / "orders").mkdir(parents=True)
    (lake / "orders" / "_schema.json").write_text(json.dumps({"schema_version": 99}))

    with pytest.raises(ExportError, match="schema version 99"):
        run_export(str(lake), now=later())

    assert not ExportRun.objects.exists()


def test_unknown_datasets_are_refused_before_anything_is_written(tmp_path):
    with pytest.raises(ExportError, match="unknown dataset"):
        run_export(str(tmp_path / "lake"), datasets=["orders", "parcels"])
    assert not (tmp_path / "lake").exists()


def test_pages_and_files_split_by_date_and_size(tmp_path):
    fs, root = writer.open_target(str(tmp_path / "lake"))
    recorded = []
    parts = writer.PartitionWriter(
        fs, root, ORDERS, "run1", before_write=recorded.extend, file_rows=2, buffer_rows=10
    )

    def order_row(pk: int, day: int):
        at = datetime(2026, 3, day, 23, 59, tzinfo=UTC)
        values = {column.name: None for column in ORDERS.columns}
        values.update(id=pk, number=str(pk), created_at=at, updated_at=at)
        return tuple(values.values())

    parts.add([order_row(1, 1), order_row(2, 1), order_row(3, 1), order_row(4, 2)])
    parts.add([order_row(5, 2)])
    files = parts.close()

    assert [(f.path, f.rows) for f in files] == [
        ("orders/date=2026-03-01/part-run1-00000.parquet", 2),  # full: written at once
        ("orders/date=2026-03-02/part-run1-00001.parquet", 2),
        ("orders/date=2026-03-01/part-run1-00002.parquet", 1),  # the rest, at the end
    ]
    assert recorded == [f.path for f in files]
    assert [r["id"] for r in read_dataset(tmp_path / "lake", "orders")] == [1, 2, 3, 4, 5]

    pressed = writer.PartitionWriter(
        fs, root, ORDERS, "run2", before_write=recorded.extend, file_rows=2, buffer_rows=3
    )
    pressed.add([order_row(6, 3), order_row(7, 4), order_row(8, 5)])
    assert [f.rows for f in pressed.files] == [1, 1, 1]  # too much waiting: all written
    assert not pressed.buffered


def test_the_progress_line_is_drawn_on_a_terminal_only():
    shown, hidden = io.StringIO(), io.StringIO()

    for progress in (Progress(shown, enabled=True), Progress(hidden)):
        progress.start("orders", index=1, count=12)
        progress.advance(50_000)
        progress.finish()

    assert "[1/12] orders" in shown.getvalue()
    assert "50,000 rows" in shown.getvalue()
    assert hidden.getvalue() == ""  # a StringIO is not a terminal
