"""Run the post-purchase jobs once, now (beat runs them daily and hourly; `make run` has no
beat): rebuild the product pairs, schedule and send due replenishment reminders, or show what
an order's delivered email would suggest."""

from datetime import datetime

from django.core.management.base import BaseCommand, CommandError

from feedback.services import recommendations, replenishment
from orders.models import Order


class Command(BaseCommand):
    help = (
        "Rebuild the products-bought-together model and the consumables' observed reorder "
        "intervals (--rebuild), send due replenishment reminders (--remind), or list what "
        "--order NUMBER's delivered email would suggest."
    )

    def add_arguments(self, parser):
        parser.add_argument("--rebuild", action="store_true", help="Rebuild the product pairs.")
        parser.add_argument(
            "--remind", action="store_true", help="Schedule and send due reminders."
        )
        parser.add_argument("--order", default="", help="Show the suggestions for this order.")
        parser.add_argument(
            "--at",
            type=datetime.fromisoformat,
            default=None,
            help="With --remind: as of this moment (ISO 8601 with a zone).",
        )

    def handle(self, *args, rebuild: bool, remind: bool, order: str, at, **options):
        if not (rebuild or remind or order):
            raise CommandError("Say what to do: --rebuild, --remind and/or --order NUMBER.")
        if rebuild:
            changed = replenishment.refresh_observed_intervals()
            pairs = recommendations.rebuild_product_pairs()
            self.stdout.write(f"{pairs} product pair(s); {changed} observed interval(s) changed.")
        if remind:
            scheduled = replenishment.schedule_reminders(now=at)
            counts = replenishment.send_due_reminders(now=at)
            self.stdout.write(
                f"{scheduled} reminder(s) scheduled, {counts['sent']} sent, "
                f"{counts['skipped']} not sent."
            )
        if order:
            found = Order.objects.filter(number=order).first()
            if found is None:
                raise CommandError(f"No order {order}.")
            products = recommendations.recommend_for_order(found)
            for product in products:
                self.stdout.write(f"{product.name} (lift {product.score:.2f})")
            self.stdout.write(f"{len(products)} suggestion(s) for order {order}.")
