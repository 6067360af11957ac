"""Aggregated figures: one row per office, service, counter (or none) and day, rebuilt by
`reports.actions.figures_rebuild` from the bookings, tickets, documents and evaluations.

Waiting and service times are stored as per-minute histograms in `MinuteCount` (one row per
figure key, kind and minute), so that the median and the 90th percentile over any date range
and any grouping are exact to the minute: the buckets add up, daily medians would not.

Rows with a counter hold what happened at that counter (calls, service, evaluations given
there); the row without a counter holds what belongs to no counter: bookings, cancellations,
no-shows, tickets never called and decided documents. Summing every row gives the office total.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from services.models import Counter, Office, Service

from .constants import Kind


class DailyFigure(models.Model):
    office = models.ForeignKey(Office, on_delete=models.CASCADE, verbose_name=_("office"))
    service = models.ForeignKey(Service, on_delete=models.CASCADE, verbose_name=_("service"))
    counter = models.ForeignKey(
        Counter, on_delete=models.CASCADE, null=True, blank=True, verbose_name=_("counter")
    )
    day = models.DateField(_("day"))
    bookings = models.PositiveIntegerField(_("bookings"), default=0)
    cancellations = models.PositiveIntegerField(_("cancellations"), default=0)
    no_shows = models.PositiveIntegerField(_("no-shows"), default=0)
    check_ins = models.PositiveIntegerField(_("check-ins"), default=0)
    walk_ins = models.PositiveIntegerField(_("walk-ins"), default=0)
    served = models.PositiveIntegerField(_("served"), default=0)
    booked_served = models.PositiveIntegerField(_("booked visits served"), default=0)
    on_time = models.PositiveIntegerField(_("booked visits called within 15 minutes"), default=0)
    docs_decided = models.PositiveIntegerField(_("documents decided"), default=0)
    docs_in_time = models.PositiveIntegerField(_("documents decided in time"), default=0)
    eval_count = models.PositiveIntegerField(_("evaluations"), default=0)
    eval_sum = models.PositiveIntegerField(_("sum of ratings"), default=0)
    eval_low = models.PositiveIntegerField(_("poor ratings"), default=0)

    class Meta:
        verbose_name = _("daily figure")
        verbose_name_plural = _("daily figures")
        constraints = [
            models.UniqueConstraint(
                fields=["office", "service", "counter", "day"],
                condition=Q(counter__isnull=False),
                name="dailyfigure_unique_counter",
            ),
            models.UniqueConstraint(
                fields=["office", "service", "day"],
                condition=Q(counter__isnull=True),
                name="dailyfigure_unique_office",
            ),
        ]
        indexes = [models.Index(fields=["office", "day"]), models.Index(fields=["day"])]

    def __str__(self) -> str:
        return f"{self.office_id} {self.service_id} {self.counter_id} {self.day}"


class MinuteCount(models.Model):
    """How many visits of one figure key took `minute` whole minutes (waiting or service)."""

    office = models.ForeignKey(Office, on_delete=models.CASCADE, related_name="+")
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="+")
    counter = models.ForeignKey(
        Counter, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    day = models.DateField()
    kind = models.CharField(max_length=1, choices=Kind.choices)
    minute = models.PositiveSmallIntegerField()
    count = models.PositiveIntegerField()

    class Meta:
        indexes = [models.Index(fields=["office", "day", "kind"]), models.Index(fields=["day"])]

    def __str__(self) -> str:
        return f"{self.office_id} {self.day} {self.kind}{self.minute}={self.count}"


class RebuildMark(models.Model):
    """One row: bumped by every rebuild, so cached reports of older figures are not reused
    (the web processes and the Celery worker share no memory) and pages can say how fresh the
    figures are."""

    version = models.PositiveBigIntegerField(default=0)
    rebuilt_at = models.DateTimeField(null=True)

    def __str__(self) -> str:
        return f"{self.version} {self.rebuilt_at}"
