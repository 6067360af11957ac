"""Demo data of the catalogue, loaded by `python manage.py seed_demo`."""

from accounts.actions import user_ensure_superuser

from . import demo_data
from .actions import bundle_ensure, catalogue_load


def load() -> str:
    admin = demo_data.DEMO_ADMIN
    counts = catalogue_load(data=demo_data.CATALOGUE)
    bundles = [bundle_ensure(data=b, position=i) for i, b in enumerate(demo_data.BUNDLES, 1)]
    created = user_ensure_superuser(**admin)
    if created:
        account = f"admin user created: username {admin['username']}, password {admin['password']}"
    else:
        account = f"user {admin['username']} already exists, password left unchanged"
    return (
        f"Demo data: {counts['categories']} categories, {counts['services']} services, "
        f"{counts['materials']} materials, {counts['districts']} districts, "
        f"{counts['offices']} offices, {counts['opening_hours']} opening hours, "
        f"{counts['counters']} counters, {sum(1 for b in bundles if b)} bundles (一件事); "
        f"{account}."
    )
