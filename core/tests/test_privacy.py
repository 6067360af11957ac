"""The privacy notice: what is collected and why, for how long (read from the retention
settings, so the page says what the nightly jobs do), who sees it and the resident's rights, in
both languages, linked from the footer of every page."""

import re

import pytest

from core.privacy import PRIVACY_NOTICE_VERSION

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


@pytest.mark.parametrize(
    ("language", "headings"),
    [
        ("zh-hans", ["我们收集什么、为什么收集", "保存多长时间", "谁能看到", "您的权利"]),
        ("en", ["What we collect and why", "How long we keep it", "Who sees it", "Your rights"]),
    ],
)
def test_the_notice_answers_what_why_how_long_who_and_the_rights(client, language, headings):
    response = client.get(f"/{language}/privacy/")

    assert response.status_code == 200
    page = response.content.decode()
    assert re.findall(r"<h2[^>]*>(.*?)</h2>", page) == headings
    assert PRIVACY_NOTICE_VERSION in page
    # The rights, each with where to exercise it: copy, delete, withdraw, complain.
    for where in ("account/", "account/delete/", "book/manage/", "feedback/mailbox/"):
        assert f'href="/{language}/{where}"' in page, where


@pytest.mark.parametrize(
    ("language", "periods"),
    [
        ("zh-hans", ["90 天", "14 天", "2 年", "400 天"]),
        ("en", ["90 days", "14 days", "2 years", "400 days"]),
    ],
)
def test_the_periods_are_the_retention_settings(client, settings, language, periods):
    settings.RETENTION = {
        **settings.RETENTION, "PERSONAL_DATA_DAYS": 90, "MESSAGE_DAYS": 14,
        "DOCUMENT_DAYS": 730, "AUDIT_DAYS": 400,
    }  # fmt: skip
    page = text(client.get(f"/{language}/privacy/"))
    positions = [page.find(period) for period in periods]
    assert -1 not in positions, positions
    assert positions == sorted(positions)  # each period in its own line, in the order above
    assert "180" not in page


@pytest.mark.parametrize(("language", "label"), [("zh-hans", "隐私声明"), ("en", "Privacy notice")])
def test_every_page_s_footer_links_the_notice(client, language, label):
    home = client.get(f"/{language}/").content.decode()
    footer = home.split('class="site-footer"', 1)[1]
    assert f'<a href="/{language}/privacy/">{label}</a>' in footer
