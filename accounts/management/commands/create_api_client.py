"""python manage.py create_api_client NAME: a token for a partner system, printed once."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.actions import api_client_create


class Command(BaseCommand):
    help = "Create an API client and print its token (on the last line; it is not stored)."

    def add_arguments(self, parser):
        parser.add_argument("name", help="a unique name for the partner system")
        parser.add_argument("--rate", default="", help="its rate limit, e.g. 600/minute")

    def handle(self, *args, name: str, rate: str, **options):
        try:
            client, token = api_client_create(name=name, rate=rate)
        except ValidationError as error:
            raise CommandError("; ".join(error.messages))
        self.stdout.write(
            f"API client {client.name!r} created (prefix {client.token_prefix}). "
            "Keep the token below: it cannot be shown again."
        )
        self.stdout.write(token)
