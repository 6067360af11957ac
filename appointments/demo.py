"""Demo schedules: every office takes appointments for its counter services, one schedule per
business line, in its opening hours; then the slots of the booking window are generated."""

from services.models import Bundle, Category, Office
from services.selectors import bundle_parts, counters_serving_all

from .actions import slot_generate
from .actions.schedules import schedule_upsert


def load() -> str:
    schedules = 0
    for office in Office.objects.filter(is_active=True).prefetch_related("services", "hours"):
        periods = [(h.weekday, h.opens, h.closes) for h in office.hours.all()]
        bookable = [s for s in office.services.all() if s.bookable_at_counter and s.is_active]
        for category in Category.objects.all():
            group = [s for s in bookable if s.category_id == category.pk]
            if not group:
                continue
            schedule_upsert(
                office=office, name=f"{category.name_zh}预约", services=group, periods=periods,
                slot_minutes=30, capacity=4 if office.kind == "station" else 8, walkin_percent=25,
            )
            schedules += 1
        schedules += _bundle_schedules(office, periods)
    stats = slot_generate(days=8)
    return f"Appointments: {schedules} schedules; slots created {stats['created']}."


def _bundle_schedules(office: Office, periods: list) -> int:
    """一件事 visits: at an office with a counter serving every part of a bundle, one slot long
    enough for all the parts (in quarter hours), two residents at a time."""
    made = 0
    for bundle in Bundle.objects.filter(is_active=True):
        parts = bundle_parts(bundle)
        wanted = {p.pk for p in parts}
        if not parts or not all(p.bookable_at_counter for p in parts):
            continue
        if not wanted <= {s.pk for s in office.services.all()}:
            continue
        if not counters_serving_all(office, wanted):
            continue
        minutes = sum(p.counter_minutes for p in parts)
        schedule_upsert(
            office=office, name=f"{bundle.name_zh}预约", services=[], bundles=[bundle],
            periods=periods, slot_minutes=max(30, -(-minutes // 15) * 15), capacity=2,
            walkin_percent=0,
        )
        made += 1
    return made
