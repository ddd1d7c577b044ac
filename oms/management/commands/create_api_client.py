"""Create an API client and print its token (shown once)."""

from django.core.management.base import BaseCommand, CommandError

from oms.exceptions import ValidationFailed
from oms.models import ApiClient, Scope
from oms.services import create_api_client, rotate_api_client_token


class Command(BaseCommand):
    help = (
        "Create an API client with scopes (or rotate its token with --rotate) and print the token."
    )

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument(
            "--scopes",
            default=",".join(Scope.values),
            help=f"Comma-separated scopes (default: all). Known: {', '.join(Scope.values)}",
        )
        parser.add_argument(
            "--rotate", action="store_true", help="Give an existing client a new token."
        )

    def handle(self, *args, name: str, scopes: str, rotate: bool, **options):
        if rotate:
            client = ApiClient.objects.filter(name=name).first()
            if client is None:
                raise CommandError(f"No API client named {name!r}.")
            token = rotate_api_client_token(client=client)
        else:
            if ApiClient.objects.filter(name=name).exists():
                raise CommandError(f"An API client named {name!r} exists; use --rotate.")
            try:
                client, token = create_api_client(
                    name=name, scopes=[s.strip() for s in scopes.split(",") if s.strip()]
                )
            except ValidationFailed as exc:
                raise CommandError(exc.message) from exc
        self.stdout.write(
            f"API client: {client.name}\nScopes: {' '.join(client.scopes)}\n"
            f"Token (shown once): {token}"
        )
