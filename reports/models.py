"""Aggregated figures, rebuilt by `reports.actions.figures_rebuild` from the bookings, tickets,
documents and evaluations, and read by `reports.selectors`.

Each row is one office and one day (or month) at one level of detail (`Level`):
per office, per office and service, per office and counter — by day and by month. A page asks
only the rows it needs: a year of one office per service is 12 monthly rows per service, not
365 daily ones per service and counter, which is what keeps the dashboard fast on a year.

Waiting and service times are stored as per-minute histograms in `MinuteCount` (one row per
figure key, kind and minute), so that the median and the 90th percentile over any date range
and any grouping are exact to the minute: the buckets add up, daily medians would not.

At the counter levels, the row without a counter holds what belongs to no counter: bookings,
cancellations, no-shows, tickets never called and decided documents. Rows of one office and
day are only written by a rebuild holding that office's row lock, so they never double.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from services.models import Counter, Office, Service

from .constants import Kind


class Level(models.TextChoices):
    OFFICE_DAY = "od", _("office and day")
    SERVICE_DAY = "sd", _("service and day")
    COUNTER_DAY = "cd", _("counter and day")
    OFFICE_MONTH = "om", _("office and month")
    SERVICE_MONTH = "sm", _("service and month")
    COUNTER_MONTH = "cm", _("counter and month")


DAILY = (Level.OFFICE_DAY, Level.SERVICE_DAY, Level.COUNTER_DAY)
MONTHLY = {Level.OFFICE_DAY: Level.OFFICE_MONTH, Level.SERVICE_DAY: Level.SERVICE_MONTH,
           Level.COUNTER_DAY: Level.COUNTER_MONTH}  # fmt: skip


class DailyFigure(models.Model):
    level = models.CharField(max_length=2, choices=Level.choices)
    office = models.ForeignKey(Office, on_delete=models.CASCADE, verbose_name=_("office"))
    service = models.ForeignKey(
        Service, on_delete=models.CASCADE, null=True, blank=True, verbose_name=_("service")
    )
    counter = models.ForeignKey(
        Counter, on_delete=models.CASCADE, null=True, blank=True, verbose_name=_("counter")
    )
    day = models.DateField(_("day"), help_text="The first day of the month at monthly levels.")
    bookings = models.PositiveIntegerField(_("bookings"), default=0)
    cancellations = models.PositiveIntegerField(_("cancellations"), default=0)
    no_shows = models.PositiveIntegerField(_("no-shows"), default=0)
    bundle_visits = models.PositiveIntegerField(
        _("bookings of a bundle (一件事) as one visit"), default=0)
    check_ins = models.PositiveIntegerField(_("check-ins"), default=0)
    walk_ins = models.PositiveIntegerField(_("walk-ins"), default=0)
    served = models.PositiveIntegerField(_("served"), default=0)
    booked_served = models.PositiveIntegerField(_("booked visits served"), default=0)
    on_time = models.PositiveIntegerField(_("booked visits called within 15 minutes"), default=0)
    docs_decided = models.PositiveIntegerField(_("documents decided"), default=0)
    docs_in_time = models.PositiveIntegerField(_("documents decided in time"), default=0)
    docs_in_bundles = models.PositiveIntegerField(
        _("documents decided as part of a bundle (一件事)"), default=0)
    eval_count = models.PositiveIntegerField(_("evaluations"), default=0)
    eval_sum = models.PositiveIntegerField(_("sum of ratings"), default=0)
    eval_low = models.PositiveIntegerField(_("poor ratings"), default=0)

    class Meta:
        verbose_name = _("daily figure")
        verbose_name_plural = _("daily figures")
        indexes = [models.Index(fields=["level", "office", "day"])]

    def __str__(self) -> str:
        return f"{self.level} {self.office_id} {self.service_id} {self.counter_id} {self.day}"


class MinuteCount(models.Model):
    """How many visits of one figure key took `minute` whole minutes (waiting or service)."""

    level = models.CharField(max_length=2, choices=Level.choices)
    office = models.ForeignKey(Office, on_delete=models.CASCADE, related_name="+")
    service = models.ForeignKey(
        Service, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    counter = models.ForeignKey(
        Counter, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    day = models.DateField()
    kind = models.CharField(max_length=1, choices=Kind.choices)
    minute = models.PositiveSmallIntegerField()
    count = models.PositiveIntegerField()

    class Meta:
        indexes = [models.Index(fields=["level", "office", "day"])]

    def __str__(self) -> str:
        return f"{self.level} {self.office_id} {self.day} {self.kind}{self.minute}={self.count}"


class RebuildMark(models.Model):
    """One row: bumped by every rebuild, so cached reports of older figures are not reused
    (the web processes and the Celery worker share no memory) and pages can say how fresh the
    figures are."""

    version = models.PositiveBigIntegerField(default=0)
    rebuilt_at = models.DateTimeField(null=True)

    def __str__(self) -> str:
        return f"{self.version} {self.rebuilt_at}"
