"""`python manage.py seed_demo`: load the demo city. Each app that has demo data provides a
`demo` module with `load() -> str`; they run in INSTALLED_APPS order (the catalogue before the
schedules that use it), all in one transaction. Running it twice changes nothing."""

from importlib import import_module
from importlib.util import find_spec

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction


class Command(BaseCommand):
    help = "Load the demo city (catalogue, offices, schedules, demo accounts). Idempotent."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--quiet", action="store_true", help="Print nothing.")

    def handle(self, *args, quiet: bool = False, **options) -> None:
        lines = []
        with transaction.atomic():
            for config in apps.get_app_configs():
                if find_spec(f"{config.name}.demo") is None:
                    continue
                lines.append(import_module(f"{config.name}.demo").load())
        if not quiet:
            for line in lines:
                self.stdout.write(line)
