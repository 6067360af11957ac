"""`python manage.py seed_demo`: load the demo city. Each app that has demo data provides a
`demo` module with `load() -> str`; they run in DEMO_ORDER first (the catalogue before the
schedules that use it, the offices before the staff who work there), then any other app's in
INSTALLED_APPS order, all in one transaction. Running it twice changes nothing."""

from importlib import import_module
from importlib.util import find_spec
from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

# accounts sits below services in INSTALLED_APPS, but its demo staff work at demo offices.
DEMO_ORDER = ["services", "appointments", "accounts", "queues"]


def demo_apps() -> list[str]:
    installed = [config.name for config in apps.get_app_configs()]
    ordered = [name for name in DEMO_ORDER if name in installed]
    ordered += [name for name in installed if name not in ordered]
    return [name for name in ordered if find_spec(f"{name}.demo") is not None]


class Command(BaseCommand):
    help = "Load the demo city (catalogue, offices, schedules, demo accounts). Idempotent."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--quiet", action="store_true", help="Print nothing.")

    def handle(self, *args: Any, quiet: bool = False, **options: Any) -> None:
        lines = []
        with transaction.atomic():
            for name in demo_apps():
                lines.append(import_module(f"{name}.demo").load())
        if not quiet:
            for line in lines:
                self.stdout.write(line)
