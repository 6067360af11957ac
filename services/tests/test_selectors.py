"""Catalogue reads: opening state, search, channel filter, counters and what the public sees."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from services import selectors
from services.models import Channel, Office, Service

from .factories import (
    CategoryFactory,
    CounterFactory,
    DistrictFactory,
    OfficeFactory,
    OpeningHoursFactory,
    ServiceFactory,
)

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """A moment in the week of Monday 2 June 2025 (day 2) to Sunday 8 June 2025 (day 8)."""
    return dt.datetime(2025, 6, day, hour, minute, tzinfo=SHANGHAI)


MONDAY, TUESDAY, FRIDAY, SATURDAY, SUNDAY = 2, 3, 6, 7, 8


def test_the_week_used_here_starts_on_a_monday():
    assert at(MONDAY, 0).weekday() == 0
    assert at(SUNDAY, 0).weekday() == 6


# --- office_open_state -------------------------------------------------------------------------


@pytest.fixture
def office():
    return OfficeFactory()  # Mon–Fri 09:00–12:00 and 13:30–17:30


def test_open_in_the_morning_until_noon(office):
    state = selectors.office_open_state(office, at=at(TUESDAY, 10, 15))
    assert state.is_open
    assert state.closes_at == dt.time(12, 0)
    assert state.next_open is None
    assert [(h.opens, h.closes) for h in state.today] == [
        (dt.time(9, 0), dt.time(12, 0)), (dt.time(13, 30), dt.time(17, 30)),
    ]


def test_open_at_the_stroke_of_opening(office):
    assert selectors.office_open_state(office, at=at(MONDAY, 9, 0)).is_open


def test_open_in_the_afternoon_until_half_past_five(office):
    state = selectors.office_open_state(office, at=at(FRIDAY, 15, 0))
    assert state.is_open
    assert state.closes_at == dt.time(17, 30)


@pytest.mark.parametrize("moment", [(12, 0), (12, 45), (13, 29)])
def test_closed_at_lunch_and_opens_again_at_half_past_one(office, moment):
    state = selectors.office_open_state(office, at=at(TUESDAY, *moment))
    assert not state.is_open
    assert state.closes_at is None
    assert state.next_open == at(TUESDAY, 13, 30)


def test_closed_before_opening_opens_the_same_morning(office):
    state = selectors.office_open_state(office, at=at(MONDAY, 7, 30))
    assert not state.is_open
    assert state.next_open == at(MONDAY, 9, 0)


def test_closed_on_friday_evening_opens_on_monday_morning(office):
    state = selectors.office_open_state(office, at=at(FRIDAY, 17, 30))
    assert not state.is_open
    assert state.next_open == at(MONDAY + 7, 9, 0)


def test_closed_on_sunday_opens_on_monday_at_nine(office):
    state = selectors.office_open_state(office, at=at(SUNDAY, 10, 0))
    assert not state.is_open
    assert state.today == []
    assert state.next_open == at(MONDAY + 7, 9, 0)
    assert state.next_open.utcoffset() == dt.timedelta(hours=8)


def test_a_moment_given_in_utc_is_judged_in_local_time(office):
    # 02:30 UTC on Monday is 10:30 in Shanghai: open. 18:00 UTC Sunday is 02:00 Monday: closed.
    assert selectors.office_open_state(
        office, at=dt.datetime(2025, 6, 2, 2, 30, tzinfo=dt.UTC)
    ).is_open
    state = selectors.office_open_state(office, at=dt.datetime(2025, 6, 1, 18, 0, tzinfo=dt.UTC))
    assert not state.is_open
    assert state.next_open == at(MONDAY, 9, 0)


def test_office_open_one_day_a_week_opens_again_a_week_later():
    office = OfficeFactory(hours=[(2, dt.time(9, 0), dt.time(12, 0))])  # Wednesdays only
    state = selectors.office_open_state(office, at=at(4, 12, 0))  # Wednesday noon
    assert not state.is_open
    assert state.next_open == at(11, 9, 0)


def test_office_without_hours_is_closed_with_no_next_opening():
    state = selectors.office_open_state(OfficeFactory(hours=False), at=at(MONDAY, 10, 0))
    assert not state.is_open
    assert state.next_open is None


def test_saturday_morning_hours_only_apply_on_saturday():
    office = OfficeFactory()
    OpeningHoursFactory(office=office, weekday=5, opens=dt.time(9, 0), closes=dt.time(12, 0))
    assert selectors.office_open_state(office, at=at(SATURDAY, 11, 0)).is_open
    assert not selectors.office_open_state(office, at=at(SATURDAY, 14, 0)).is_open
    assert not selectors.office_open_state(office, at=at(SUNDAY, 11, 0)).is_open


def test_week_hours_lists_seven_days_with_the_weekend_closed(office):
    week = selectors.office_week_hours(office)
    assert [weekday for weekday, _label, _periods in week] == list(range(7))
    assert [len(periods) for _weekday, _label, periods in week] == [2, 2, 2, 2, 2, 0, 0]


# --- service_search and channels ---------------------------------------------------------------


@pytest.fixture
def catalogue():
    exit_entry = CategoryFactory(name_zh="出入境", name_en="Exit and entry")
    traffic = CategoryFactory(name_zh="交通管理", name_en="Traffic")
    return {
        "passport": ServiceFactory(
            code="crj-passport", category=exit_entry, name_zh="普通护照签发",
            name_en="Ordinary passport", description_zh="首次申领护照。",
            description_en="First application for a passport.",
        ),
        "renewal": ServiceFactory(
            code="crj-passport-renewal", category=exit_entry, name_zh="护照换发",
            name_en="Passport renewal", description_zh="护照有效期不足六个月时换发。",
            description_en="Renew a passport that expires within six months.",
        ),
        "licence": ServiceFactory(
            code="jg-licence-renewal", category=traffic, name_zh="驾驶证换证",
            name_en="Driving licence renewal", description_zh="驾驶证有效期满换证。",
            description_en="Renew a driving licence at the end of its validity.",
        ),
    }


def search(text: str) -> set[str]:
    return set(selectors.service_search(Service.objects.all(), text).values_list("code", flat=True))


def test_search_in_chinese(catalogue):
    assert search("护照") == {"crj-passport", "crj-passport-renewal"}
    assert search("驾驶证") == {"jg-licence-renewal"}


def test_search_in_english_ignores_case(catalogue):
    assert search("PASSPORT") == {"crj-passport", "crj-passport-renewal"}
    assert search("licence") == {"jg-licence-renewal"}


def test_search_with_several_words_needs_every_word(catalogue):
    assert search("passport renewal") == {"crj-passport-renewal"}
    assert search("护照 换发") == {"crj-passport-renewal"}


def test_search_falls_back_to_some_of_the_words_when_no_service_has_them_all(catalogue):
    expected = {"crj-passport", "crj-passport-renewal", "jg-licence-renewal"}
    assert search("passport 驾驶证") == expected


def test_search_mixing_languages_and_extra_spaces(catalogue):
    assert search("  renewal   驾驶证 ") == {"jg-licence-renewal"}


def test_search_finds_words_of_the_description_and_category(catalogue):
    assert search("六个月") == {"crj-passport-renewal"}
    assert search("validity") == {"jg-licence-renewal"}
    assert search("交通管理") == {"jg-licence-renewal"}
    assert search("exit and") == {"crj-passport", "crj-passport-renewal"}


def test_search_by_code(catalogue):
    assert search("jg-") == {"jg-licence-renewal"}


def test_empty_search_keeps_everything(catalogue):
    assert search("") == search("   ") == {s.code for s in catalogue.values()}


def test_search_without_a_match_finds_nothing(catalogue):
    assert search("签证延期") == set()


@pytest.fixture
def by_channel():
    return {
        channel: ServiceFactory(code=f"by-{channel}", channel=channel) for channel in Channel.values
    }


def channel_codes(channel: str) -> set[str]:
    services = selectors.service_filter_channel(Service.objects.all(), channel)
    return set(services.values_list("code", flat=True))


def test_counter_channel_includes_services_offered_both_ways(by_channel):
    assert channel_codes(Channel.COUNTER) == {"by-counter", "by-both"}


def test_online_channel_includes_services_offered_both_ways(by_channel):
    assert channel_codes(Channel.ONLINE) == {"by-online", "by-both"}


def test_both_channel_only_lists_services_offered_both_ways(by_channel):
    assert channel_codes(Channel.BOTH) == {"by-both"}


@pytest.mark.parametrize("channel", ["", "fax", None])
def test_unknown_or_empty_channel_does_not_filter(by_channel, channel):
    assert channel_codes(channel) == {"by-counter", "by-online", "by-both"}


# --- counters -----------------------------------------------------------------------------------


@pytest.fixture
def counter_office():
    id_card, passport, retired = ServiceFactory.create_batch(3)
    retired.is_active = False
    retired.save()
    office = OfficeFactory(services=[id_card, passport, retired])
    ServiceFactory(code="elsewhere")  # offered by no office
    return office, id_card, passport, retired


def test_one_window_counter_serves_every_active_service_of_its_office(counter_office):
    office, id_card, passport, _retired = counter_office
    counter = CounterFactory(office=office, serves_all=True)
    assert set(selectors.counter_services(counter)) == {id_card, passport}


def test_one_window_counter_ignores_its_own_service_list(counter_office):
    office, id_card, passport, _retired = counter_office
    counter = CounterFactory(office=office, serves_all=True, services=[id_card])
    assert set(selectors.counter_services(counter)) == {id_card, passport}


def test_specific_counter_serves_only_its_active_services(counter_office):
    office, id_card, _passport, retired = counter_office
    counter = CounterFactory(office=office, services=[id_card, retired])
    assert selectors.counter_services(counter) == [id_card]


def test_counters_of_the_public_office_page_serve_the_right_services(counter_office):
    office, id_card, passport, retired = counter_office
    CounterFactory(office=office, number=1, serves_all=True)
    CounterFactory(office=office, number=2, services=[passport, retired])
    CounterFactory(office=office, number=3, services=[id_card], is_active=False)
    loaded = selectors.office_get_public(code=office.code)
    served = {c.number: set(selectors.counter_services(c)) for c in loaded.counters.all()}
    assert served == {1: {id_card, passport}, 2: {passport}}


def test_offices_serving_all_are_those_with_one_counter_serving_every_part():
    """The bundles' check of every office at once (offices_serving_all) agrees with asking each
    office's counters (counters_serving_all): a retired part, an inactive counter, parts split
    over two counters and a part the office does not offer each leave an office out."""
    id_card, passport, other = ServiceFactory(), ServiceFactory(), ServiceFactory()
    retired = ServiceFactory()
    both = {id_card.pk, passport.pk}
    one_window = OfficeFactory(services=[id_card, passport])
    CounterFactory(office=one_window, serves_all=True)
    specific = OfficeFactory(services=[id_card, passport, other])
    CounterFactory(office=specific, services=[id_card, passport, other])
    split = OfficeFactory(services=[id_card, passport])
    CounterFactory(office=split, services=[id_card])
    CounterFactory(office=split, services=[passport])
    closed = OfficeFactory(services=[id_card, passport])
    CounterFactory(office=closed, services=[id_card, passport], is_active=False)
    not_offered = OfficeFactory(services=[id_card])
    CounterFactory(office=not_offered, serves_all=True)
    with_retired = OfficeFactory(services=[id_card, retired])
    CounterFactory(office=with_retired, services=[id_card, retired])
    retired.is_active = False
    retired.save()
    offices = [one_window, specific, split, closed, not_offered, with_retired]

    for wanted in (both, {id_card.pk}, {id_card.pk, retired.pk}):
        expected = {o.pk for o in offices if selectors.counters_serving_all(o, wanted)}
        assert selectors.offices_serving_all({o.pk for o in offices}, wanted) == expected
    assert expected == set()  # a retired part: served nowhere
    assert selectors.offices_serving_all({o.pk for o in offices}, both) == {
        one_window.pk, specific.pk
    }


# --- what the public sees ----------------------------------------------------------------------


def test_inactive_services_are_hidden_from_the_public_list_and_detail():
    shown = ServiceFactory()
    hidden = ServiceFactory(is_active=False)
    assert list(selectors.service_list_public()) == [shown]
    assert selectors.service_get_public(code=shown.code) == shown
    with pytest.raises(Service.DoesNotExist):
        selectors.service_get_public(code=hidden.code)


def test_inactive_offices_are_hidden_from_the_public_list_and_detail():
    shown = OfficeFactory()
    hidden = OfficeFactory(is_active=False)
    assert list(selectors.office_list_public()) == [shown]
    assert selectors.office_get_public(code=shown.code) == shown
    with pytest.raises(Office.DoesNotExist):
        selectors.office_get_public(code=hidden.code)


def test_service_detail_lists_only_active_offices_and_counts_them():
    service = ServiceFactory()
    open_office = OfficeFactory(services=[service])
    OfficeFactory(services=[service], is_active=False)
    assert list(selectors.service_get_public(code=service.code).offices.all()) == [open_office]
    assert selectors.service_list_public().get(code=service.code).office_count == 1


def test_office_detail_lists_only_active_services_and_counts_them():
    offered = ServiceFactory()
    retired = ServiceFactory(is_active=False)
    office = OfficeFactory(services=[offered, retired])
    assert list(selectors.office_get_public(code=office.code).services.all()) == [offered]
    assert selectors.office_list_public().get(code=office.code).service_count == 1


def test_service_detail_lists_its_materials_in_order():
    service = ServiceFactory(materials=[
        {"name_en": "Photo", "position": 2},
        {"name_en": "ID card", "position": 1},
        {"name_en": "Form", "position": 3},
    ])
    materials = selectors.service_get_public(code=service.code).materials.all()
    assert [m.name_en for m in materials] == ["ID card", "Photo", "Form"]


def test_categories_and_districts_count_only_active_entries():
    category = CategoryFactory()
    ServiceFactory.create_batch(2, category=category)
    ServiceFactory(category=category, is_active=False)
    district = DistrictFactory()
    OfficeFactory(district=district)
    OfficeFactory(district=district, is_active=False)
    assert selectors.category_list().get(pk=category.pk).active_services == 2
    assert selectors.district_list().get(pk=district.pk).active_offices == 1


def test_office_search_by_name_or_address_in_either_language():
    renmin = OfficeFactory(name_zh="人民路派出所", name_en="Renmin Road Police Station",
                           address_zh="人民路1号", address_en="1 Renmin Road")
    OfficeFactory(name_zh="五一广场派出所", name_en="Wuyi Square Police Station",
                  address_zh="五一大道8号", address_en="8 Wuyi Avenue")
    for text in ("人民路", "renmin", "RENMIN road", "1号"):
        assert list(selectors.office_search(Office.objects.all(), text)) == [renmin], text
