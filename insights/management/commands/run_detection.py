"""Run the early warning once, now (beat runs it every 15 minutes; `make run` has no beat)."""

from datetime import datetime

from django.core.management.base import BaseCommand

from insights import services


class Command(BaseCommand):
    help = "Raise, update or resolve early-warning alerts from the data as it is now."

    def add_arguments(self, parser):
        parser.add_argument(
            "--at",
            type=datetime.fromisoformat,
            default=None,
            help="Judge the data as of this moment (ISO 8601 with a zone), e.g. to replay a day.",
        )

    def handle(self, *args, **options):
        alerts = services.run_detection(now=options["at"])
        for alert in alerts:
            self.stdout.write(
                f"{alert.get_status_display()}: {alert.get_subject_kind_display()} "
                f"{alert.subject_code}, {alert.get_metric_display()} "
                f"{alert.observed_rate} (baseline {alert.baseline_rate})"
            )
        self.stdout.write(f"{len(alerts)} alert(s) raised, updated or resolved.")
