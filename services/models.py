"""The catalogue: what a resident can get done (services) and where (offices and counters)."""

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.i18n import Localized


class Channel(models.TextChoices):
    COUNTER = "counter", _("Counter appointment")
    ONLINE = "online", _("Fully online")
    BOTH = "both", _("Counter or online")


class OfficeKind(models.TextChoices):
    STATION = "station", _("Police station")
    HALL = "hall", _("Service hall")


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class Category(models.Model):
    """A business line: household registration, exit-entry, traffic, public order."""

    code = models.SlugField(_("code"), max_length=20, unique=True)
    ticket_letter = models.CharField(
        _("ticket letter"),
        max_length=1,
        unique=True,
        help_text=_("Prefix of queue tickets for this category, e.g. A."),
    )
    name_zh = models.CharField(_("name (Chinese)"), max_length=50)
    name_en = models.CharField(_("name (English)"), max_length=80)
    description_zh = models.TextField(_("description (Chinese)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    name = Localized("name")
    description = Localized("description")

    class Meta:
        ordering = ["position", "code"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return self.name


class Service(models.Model):
    """One thing a resident can get done (事项)."""

    code = models.SlugField(
        _("code"),
        max_length=40,
        unique=True,
        help_text=_("Stable identifier used in URLs and the API; never change it."),
    )
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="services", verbose_name=_("category")
    )
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=150)
    description_zh = models.TextField(_("description (Chinese)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    channel = models.CharField(
        _("channel"), max_length=10, choices=Channel.choices, default=Channel.COUNTER
    )
    fee = models.DecimalField(
        _("fee (yuan)"),
        max_digits=8,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    time_limit_days = models.PositiveSmallIntegerField(
        _("legal time limit (working days)"),
        default=0,
        help_text=_("0 means decided on the spot."),
    )
    counter_minutes = models.PositiveSmallIntegerField(
        _("typical time at the counter (minutes)"),
        default=10,
        validators=[MinValueValidator(1), MaxValueValidator(240)],
    )
    is_active = models.BooleanField(_("active"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    name = Localized("name")
    description = Localized("description")

    class Meta:
        ordering = ["category__position", "position", "code"]
        verbose_name = _("service")
        verbose_name_plural = _("services")
        constraints = [
            models.CheckConstraint(condition=Q(fee__gte=0), name="service_fee_not_negative"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def bookable_at_counter(self) -> bool:
        return self.channel in (Channel.COUNTER, Channel.BOTH)

    @property
    def available_online(self) -> bool:
        return self.channel in (Channel.ONLINE, Channel.BOTH)


class ServiceAlias(models.Model):
    """A name residents use for a service (良民证 for 无犯罪记录证明, "lost ID card"): search
    finds the service by it. Edited in the admin with the service."""

    service = models.ForeignKey(
        Service, on_delete=models.CASCADE, related_name="aliases", verbose_name=_("service")
    )
    term = models.CharField(
        _("search term"),
        max_length=50,
        help_text=_("A colloquial name, old name or common phrase, in Chinese or English."),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("search term")
        verbose_name_plural = _("search terms")
        constraints = [
            models.UniqueConstraint(fields=["service", "term"], name="service_alias_unique_term")
        ]

    def __str__(self) -> str:
        return self.term


class Material(models.Model):
    """One item of a service's checklist of what to bring or upload."""

    service = models.ForeignKey(
        Service, on_delete=models.CASCADE, related_name="materials", verbose_name=_("service")
    )
    name_zh = models.CharField(_("name (Chinese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=250)
    note_zh = models.CharField(_("note (Chinese)"), max_length=300, blank=True)
    note_en = models.CharField(_("note (English)"), max_length=400, blank=True)
    original_required = models.BooleanField(_("original required"), default=True)
    copies = models.PositiveSmallIntegerField(_("photocopies"), default=0)
    is_optional = models.BooleanField(_("only in some cases"), default=False)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    name = Localized("name")
    note = Localized("note")

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("material")
        verbose_name_plural = _("materials")

    def __str__(self) -> str:
        return self.name


class District(models.Model):
    code = models.SlugField(_("code"), max_length=20, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=50)
    name_en = models.CharField(_("name (English)"), max_length=80)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    name = Localized("name")

    class Meta:
        ordering = ["position", "code"]
        verbose_name = _("district")
        verbose_name_plural = _("districts")

    def __str__(self) -> str:
        return self.name


class Office(models.Model):
    """A police station (派出所) or service hall (服务大厅)."""

    code = models.SlugField(_("code"), max_length=30, unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=OfficeKind.choices)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=150)
    district = models.ForeignKey(
        District, on_delete=models.PROTECT, related_name="offices", verbose_name=_("district")
    )
    address_zh = models.CharField(_("address (Chinese)"), max_length=200)
    address_en = models.CharField(_("address (English)"), max_length=250, blank=True)
    phone = models.CharField(_("phone"), max_length=30)
    latitude = models.DecimalField(
        _("latitude"),
        max_digits=9,
        decimal_places=6,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    longitude = models.DecimalField(
        _("longitude"),
        max_digits=9,
        decimal_places=6,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    transit_zh = models.CharField(_("how to get there (Chinese)"), max_length=300, blank=True)
    transit_en = models.CharField(_("how to get there (English)"), max_length=400, blank=True)
    services = models.ManyToManyField(
        Service, related_name="offices", blank=True, verbose_name=_("services")
    )
    is_active = models.BooleanField(_("active"), default=True)

    name = Localized("name")
    address = Localized("address")
    transit = Localized("transit")

    class Meta:
        ordering = ["district__position", "code"]
        verbose_name = _("office")
        verbose_name_plural = _("offices")

    def __str__(self) -> str:
        return self.name


class OpeningHours(models.Model):
    """One opening period on a weekday; a day may have two (morning and afternoon)."""

    office = models.ForeignKey(
        Office, on_delete=models.CASCADE, related_name="hours", verbose_name=_("office")
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    opens = models.TimeField(_("opens"))
    closes = models.TimeField(_("closes"))

    class Meta:
        ordering = ["weekday", "opens"]
        verbose_name = _("opening hours")
        verbose_name_plural = _("opening hours")
        constraints = [
            models.CheckConstraint(
                condition=Q(closes__gt=models.F("opens")), name="hours_close_after_open"
            ),
            models.UniqueConstraint(
                fields=["office", "weekday", "opens"], name="hours_unique_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}–{self.closes:%H:%M}"


class Counter(models.Model):
    """One desk (窗口) with one clerk. A "one window" counter serves all the office's services."""

    office = models.ForeignKey(
        Office, on_delete=models.CASCADE, related_name="counters", verbose_name=_("office")
    )
    number = models.PositiveSmallIntegerField(_("number"), validators=[MinValueValidator(1)])
    name_zh = models.CharField(_("name (Chinese)"), max_length=50, blank=True)
    name_en = models.CharField(_("name (English)"), max_length=80, blank=True)
    serves_all = models.BooleanField(
        _("one window (serves every service of the office)"), default=False
    )
    services = models.ManyToManyField(
        Service,
        related_name="counters",
        blank=True,
        verbose_name=_("services"),
        help_text=_("Ignored when the counter is a one-window counter."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    name = Localized("name")

    class Meta:
        ordering = ["office", "number"]
        verbose_name = _("counter")
        verbose_name_plural = _("counters")
        constraints = [
            models.UniqueConstraint(fields=["office", "number"], name="counter_unique_number"),
        ]

    def __str__(self) -> str:
        return f"{self.office.name} {self.number}"


class Bundle(models.Model):
    """一件事: the services one life event needs (a birth: 出生登记 + 首次申领身份证), offered as
    one online application for the parts that can be done online, next to the services."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=150)
    description_zh = models.TextField(_("description (Chinese)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    services = models.ManyToManyField(Service, through="BundlePart", related_name="bundles",
                                      verbose_name=_("services"))
    is_active = models.BooleanField(_("active"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    name = Localized("name")
    description = Localized("description")

    class Meta:
        ordering = ["position", "code"]
        verbose_name = _("bundle (一件事)")
        verbose_name_plural = _("bundles (一件事)")

    def __str__(self) -> str:
        return self.name_zh


class BundlePart(models.Model):
    bundle = models.ForeignKey(Bundle, on_delete=models.CASCADE, related_name="parts",
                               verbose_name=_("bundle"))
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="+",
                                verbose_name=_("service"))
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("part")
        verbose_name_plural = _("parts")
        constraints = [models.UniqueConstraint(fields=["bundle", "service"],
                                               name="one_service_once_per_bundle")]

    def __str__(self) -> str:
        return f"{self.bundle} · {self.service}"
