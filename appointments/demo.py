"""Demo schedules: every office takes appointments for its counter services, one schedule per
business line, in its opening hours; then the slots of the booking window are generated."""

from services.models import Category, Office

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
    stats = slot_generate(days=8)
    return f"Appointments: {schedules} schedules; slots created {stats['created']}."
