"""The waiting-room screen: public, one per office, polled every second (so it must stay cheap)."""

import re

import pytest
from django.test import Client

from queues import actions

from .queue_setup import new_service, office_with

pytestmark = pytest.mark.django_db


@pytest.fixture
def hall():
    first, second = new_service(), new_service()
    office, counters = office_with(first, second, counters=3)
    for counter in counters:
        actions.counter_open(counter=counter, clerk=None)
    return office, (first, second), counters


def url(office, lang="zh-hans") -> str:
    return f"/{lang}/queue/screen/{office.code}/"


def poll(client, office, lang="zh-hans"):
    return client.get(url(office, lang), headers={"HX-Request": "true"})


def test_the_screen_shows_who_is_called_to_which_counter(hall):
    office, (first, second), counters = hall
    for service in (first, first, second, first):
        actions.ticket_take_walk_in(office=office, service=service)
    called = actions.ticket_call_next(counter=counters[2], clerk=None)
    page = Client().get(url(office, "en"))
    assert page.status_code == 200
    html = page.content.decode()
    assert '<html lang="en"' in html
    assert office.name_en in html
    now = html.split('id="now-title"')[1].split("</section>")[0]
    assert called.display in now
    assert f"Counter {counters[2].number}" in now
    rows = dict(re.findall(r"</span> ([^<]+)</th><td class=\"num\">(\d+)</td>", html))
    assert rows == {first.name_en: "2", second.name_en: "1"}  # the first A was called
    assert "no-cache" in page["Cache-Control"]


def test_the_poll_carries_the_latest_call_and_what_to_say(hall):
    office, (service, _), counters = hall
    actions.ticket_take_walk_in(office=office, service=service)
    client = Client()
    before = poll(client, office, "en").content.decode()
    assert 'data-last-call="0"' in before
    ticket = actions.ticket_call_next(counter=counters[0], clerk=None)
    after = poll(client, office, "en").content.decode()
    assert "<html" not in after  # only the live part
    last = int(re.search(r'data-last-call="(\d+)"', after).group(1))
    assert last > 0
    spoken = " ".join(ticket.display)
    assert (
        f'data-call-id="{last}" data-say="Number {spoken}, please go to counter '
        f'{counters[0].number}."' in after
    )


def test_the_chinese_screen_speaks_chinese(hall):
    office, _services, _counters = hall
    html = Client().get(url(office)).content.decode()
    assert '<html lang="zh-Hans"' in html
    assert 'data-speech-lang="zh-CN"' in html


def test_a_recall_counts_as_a_new_call(hall):
    office, (service, _), counters = hall
    actions.ticket_take_walk_in(office=office, service=service)
    ticket = actions.ticket_call_next(counter=counters[0], clerk=None)
    client = Client()
    first = re.search(r'data-last-call="(\d+)"', poll(client, office).content.decode()).group(1)
    actions.ticket_recall(ticket=ticket, clerk=None)
    again = re.search(r'data-last-call="(\d+)"', poll(client, office).content.decode()).group(1)
    assert int(again) > int(first)


def test_an_unknown_or_closed_office_has_no_screen(hall):
    office, _services, _counters = hall
    assert Client().get("/zh-hans/queue/screen/no-such-office/").status_code == 404
    office.is_active = False
    office.save()
    assert Client().get(url(office)).status_code == 404


def test_the_page_runs_no_inline_script(hall):
    office, _services, _counters = hall
    html = Client().get(url(office)).content.decode()
    scripts = re.findall(r"<script[^>]*>", html)
    assert scripts and all("src=" in tag for tag in scripts)
    assert not re.search(r"\son[a-z]+=|hx-on", html)


def test_the_poll_costs_the_same_few_queries_however_busy_the_office(
    hall, django_assert_max_num_queries
):
    office, (first, second), counters = hall
    for n in range(30):
        actions.ticket_take_walk_in(office=office, service=first if n % 2 else second)
    for counter in counters:
        actions.ticket_call_next(counter=counter, clerk=None)
    client = Client()
    poll(client, office)  # sessions, translations and templates warmed up
    with django_assert_max_num_queries(5):
        response = poll(client, office)
    assert response.status_code == 200
