"""Export the facts to Parquet: python manage.py export_facts --to <folder-or-url>."""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError

from insights.export.datasets import DATASETS
from insights.export.progress import Progress
from insights.export.run import BATCH_SIZE, SETTLE, ExportError, run_export


class Command(BaseCommand):
    help = (
        "Export new and changed orders, lines, shipments, tracking events, cases, contacts, "
        "returns, refunds, adjustments and notifications to Parquet (partitioned by date) in a "
        "folder or an object-store URL. Safe to run again: it exports nothing twice."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--to", required=True, dest="target", help="Folder or URL (s3://bucket/lake, ...)."
        )
        parser.add_argument(
            "--datasets",
            default="",
            help=f"Comma-separated datasets (default: all): {', '.join(DATASETS)}.",
        )
        parser.add_argument("--quiet", action="store_true", help="No progress bar.")
        parser.add_argument("--batch-size", type=int, default=BATCH_SIZE)
        parser.add_argument(
            "--settle-seconds",
            type=int,
            default=int(SETTLE.total_seconds()),
            help="Rows changed this recently wait for the next run (default: %(default)s).",
        )

    def handle(self, *args, target, datasets, quiet, batch_size, settle_seconds, **options):
        if batch_size < 1 or settle_seconds < 0:
            raise CommandError("--batch-size must be positive and --settle-seconds not negative")
        # The raw stream: the progress line redraws itself with "\r", which Django's
        # OutputWrapper would end with a newline at every write.
        progress = Progress(self.stderr._out, enabled=False if quiet else None)
        try:
            result = run_export(
                target,
                datasets=datasets.split(",") if datasets else None,
                batch_size=batch_size,
                settle=timedelta(seconds=settle_seconds),
                progress=progress,
            )
        except ExportError as exc:
            raise CommandError(str(exc)) from exc
        if quiet:
            return
        for dataset in result.datasets:
            self.stdout.write(
                f"{dataset.name:<16} {dataset.rows:>10,} rows  {len(dataset.files):>4} files"
            )
        rate = result.rows / result.seconds if result.seconds else 0
        self.stdout.write(
            self.style.SUCCESS(
                f"run {result.run_id}: {result.rows:,} rows in {result.seconds:.1f} s "
                f"({rate:,.0f} rows/s) to {result.target}"
            )
        )
