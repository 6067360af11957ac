"""`{% load i18n_once %}`'s translate tag renders exactly what Django's does, in every language
and form, while translating a constant message once per language
(core/templatetags/i18n_once.py)."""

import pytest
from django.template import engines
from django.utils import translation

FORMS = [
    '{% translate "Call next" %}',
    '{% trans "Call next" %}',
    '{% translate "Nobody is waiting for this counter." %}',
    '{% translate "100% <b>sure</b>" %}',  # percent signs and escaping
    '{% translate "Call next" as label %}[{{ label }}]',
    '{% translate "Call next" noop %}',
    '{% translate "Call next"|upper %}',
    '{% translate "May" context "month name" %}',
    "{% translate message %}",
    '{% autoescape off %}{% translate "100% <b>sure</b>" %}{% endautoescape %}',
]


def _render(libraries: str, body: str, language: str) -> str:
    template = engines["django"].from_string(f"{{% load {libraries} %}}{body}")
    with translation.override(language):
        return template.render({"message": "Open"})


@pytest.mark.parametrize("body", FORMS)
def test_every_form_renders_as_djangos_tag_in_every_language(body):
    for _round in range(2):  # the second round answers from what the first kept
        for language in ("zh-hans", "en"):
            assert _render("i18n i18n_once", body, language) == _render("i18n", body, language)


def test_the_console_label_follows_the_language():
    body = '{% translate "Call next" %}'
    assert _render("i18n i18n_once", body, "zh-hans") == "呼叫下一位"
    assert _render("i18n i18n_once", body, "en") == "Call next"
    assert _render("i18n i18n_once", body, "zh-hans") == "呼叫下一位"
