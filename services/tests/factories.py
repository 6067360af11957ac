"""Factories for the catalogue: categories, services and their checklists, offices and counters.

Codes come from sequences so they are unique within a test run; names are bilingual and carry
the sequence number, so a test can tell two objects apart in either language.
"""

import datetime as dt
import string
from decimal import Decimal

import factory

from services.models import (
    Category,
    Channel,
    Counter,
    District,
    Material,
    Office,
    OfficeKind,
    OpeningHours,
    Service,
)

# Monday to Friday, 09:00–12:00 and 13:30–17:30: the usual hours of a police station.
STANDARD_PERIODS = ((dt.time(9, 0), dt.time(12, 0)), (dt.time(13, 30), dt.time(17, 30)))
WORKING_DAYS = range(0, 5)


def standard_hours() -> list[tuple[int, dt.time, dt.time]]:
    return [(day, opens, closes) for day in WORKING_DAYS for opens, closes in STANDARD_PERIODS]


def _free_letter(n: int) -> str:
    taken = set(Category.objects.values_list("ticket_letter", flat=True))
    letters = string.ascii_uppercase
    return next(
        (letter for i in range(26) if (letter := letters[(n + i) % 26]) not in taken),
        letters[n % 26],
    )


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category

    code = factory.Sequence(lambda n: f"cat-{n}")
    # One letter, unique: 26 categories in one test are more than the city has. The sequence
    # picks the first letter to try; a letter already taken (by the demo seed, or by a test that
    # names its own) is skipped, so which tests ran before in the process does not matter.
    ticket_letter = factory.Sequence(lambda n: _free_letter(n))
    name_zh = factory.Sequence(lambda n: f"业务类别{n}")
    name_en = factory.Sequence(lambda n: f"Business line {n}")
    description_zh = "户籍、出入境、交通管理和治安业务。"
    description_en = "Household registration, exit-entry, traffic and public order."
    position = factory.Sequence(lambda n: n)


class MaterialFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Material

    service = factory.SubFactory("services.tests.factories.ServiceFactory", materials=0)
    name_zh = factory.Sequence(lambda n: f"材料{n}")
    name_en = factory.Sequence(lambda n: f"Document {n}")
    note_zh = ""
    note_en = ""
    original_required = True
    copies = 0
    is_optional = False
    position = factory.Sequence(lambda n: n)


class ServiceFactory(factory.django.DjangoModelFactory):
    """`materials=3` makes three checklist items, `materials=[{...}, ...]` the given ones."""

    class Meta:
        model = Service
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"svc-{n}")
    category = factory.SubFactory(CategoryFactory)
    name_zh = factory.Sequence(lambda n: f"测试事项{n}")
    name_en = factory.Sequence(lambda n: f"Test service {n}")
    description_zh = "办理本事项需要本人到场。"
    description_en = "The applicant must come in person."
    channel = Channel.COUNTER
    fee = Decimal("0")
    time_limit_days = 0
    counter_minutes = 10
    is_active = True
    position = factory.Sequence(lambda n: n)

    @factory.post_generation
    def materials(self, create, extracted, **kwargs):
        if not create:
            return
        if extracted is None:
            extracted = 2
        if isinstance(extracted, int):
            MaterialFactory.create_batch(extracted, service=self, **kwargs)
            return
        for values in extracted:
            MaterialFactory(service=self, **{**kwargs, **values})


class DistrictFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = District

    code = factory.Sequence(lambda n: f"district-{n}")
    name_zh = factory.Sequence(lambda n: f"测试{n}区")
    name_en = factory.Sequence(lambda n: f"District {n}")
    position = factory.Sequence(lambda n: n)


class OfficeFactory(factory.django.DjangoModelFactory):
    """An office open Mon–Fri 09:00–12:00 and 13:30–17:30.

    `hours=False` makes an office with no hours, `hours=[(weekday, opens, closes), ...]` others;
    `services=[...]` the services it offers.
    """

    class Meta:
        model = Office
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"office-{n}")
    kind = OfficeKind.STATION
    name_zh = factory.Sequence(lambda n: f"测试派出所{n}")
    name_en = factory.Sequence(lambda n: f"Test police station {n}")
    district = factory.SubFactory(DistrictFactory)
    address_zh = factory.Sequence(lambda n: f"星城市人民路{n}号")
    address_en = factory.Sequence(lambda n: f"{n} Renmin Road, Xingcheng")
    phone = factory.Sequence(lambda n: f"0731-8{n % 10_000_000:07d}")
    latitude = Decimal("28.194000")
    longitude = Decimal("112.982000")
    transit_zh = "地铁1号线人民路站"
    transit_en = "Metro line 1, Renmin Road station"
    is_active = True

    @factory.post_generation
    def services(self, create, extracted, **kwargs):
        if create and extracted:
            self.services.add(*extracted)

    @factory.post_generation
    def hours(self, create, extracted, **kwargs):
        if not create or extracted is False:
            return
        periods = standard_hours() if extracted in (None, True) else extracted
        for weekday, opens, closes in periods:
            OpeningHoursFactory(office=self, weekday=weekday, opens=opens, closes=closes)


class OpeningHoursFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OpeningHours

    office = factory.SubFactory(OfficeFactory, hours=False)
    weekday = 0
    opens = dt.time(9, 0)
    closes = dt.time(12, 0)


class CounterFactory(factory.django.DjangoModelFactory):
    """A counter serving `services=[...]`; `serves_all=True` makes it a one-window counter."""

    class Meta:
        model = Counter
        skip_postgeneration_save = True

    office = factory.SubFactory(OfficeFactory)
    number = factory.Sequence(lambda n: n + 1)
    name_zh = factory.Sequence(lambda n: f"{n + 1}号窗口")
    name_en = factory.Sequence(lambda n: f"Window {n + 1}")
    serves_all = False
    is_active = True

    @factory.post_generation
    def services(self, create, extracted, **kwargs):
        if create and extracted:
            self.services.add(*extracted)
