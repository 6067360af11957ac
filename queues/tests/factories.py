"""Factories for kiosk and follow-page tests: categories with a fixed ticket letter, and kiosks
with their device token (tokens are only ever known at creation)."""

from queues import actions
from queues.models import Kiosk
from services.tests.factories import CategoryFactory, ServiceFactory


def service_with_letter(letter: str, **kwargs):
    """A service whose category draws tickets with `letter` (A012, B003…)."""
    category = CategoryFactory(ticket_letter=letter, code=f"line-{letter.lower()}")
    return ServiceFactory(category=category, materials=0, **kwargs)


def kiosk_for(office, name: str = "大厅1号机") -> tuple[Kiosk, str]:
    return actions.kiosk_create(office=office, name=name)
