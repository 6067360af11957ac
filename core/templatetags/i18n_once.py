"""`{% translate %}` that translates a constant message once per language in a process.

Django's tag makes a lazy string on every render, casts it, looks the message up through the
catalogue's fallbacks and escapes the result: about 12 µs a tag, and the counter console's
ticket panel, re-rendered for every key a clerk presses, has about twenty of them. Loaded after
`i18n` (`{% load i18n i18n_once %}`), this library's `translate` (and `trans`) answers a tag
whose message is a plain constant (no `context`, `noop`, `as` or filter) with Django's own
rendering of it, kept per (language, message, autoescape); every other form is Django's tag
unchanged. The syntax is Django's, so makemessages finds the messages as before. The kept
renderings are dropped when a setting that changes the catalogues changes (tests).
"""

from django import template
from django.core.signals import setting_changed
from django.template.base import Parser, Token
from django.templatetags.i18n import TranslateNode, do_translate
from django.utils.translation import get_language

register = template.Library()

_RENDERED: dict[tuple[str | None, str, bool], str] = {}
CATALOGUE_SETTINGS = frozenset({"LANGUAGES", "LANGUAGE_CODE", "LOCALE_PATHS", "INSTALLED_APPS"})


class ConstantTranslateNode(TranslateNode):
    def render(self, context: template.Context) -> str:
        literal = getattr(self.filter_expression.var, "literal", None)
        if (
            self.noop
            or self.asvar
            or self.message_context
            or self.filter_expression.filters
            or not isinstance(literal, str)
        ):
            return super().render(context)
        key = (get_language(), literal, context.autoescape)
        rendered = _RENDERED.get(key)
        if rendered is None:
            rendered = _RENDERED[key] = super().render(context)
        return rendered


@register.tag("translate")
@register.tag("trans")
def translate(parser: Parser, token: Token) -> TranslateNode:
    node = do_translate(parser, token)
    return ConstantTranslateNode(
        node.filter_expression, node.noop, node.asvar, node.message_context
    )


def _catalogues_changed(*, setting: str, **kwargs: object) -> None:
    if setting in CATALOGUE_SETTINGS:
        _RENDERED.clear()


setting_changed.connect(_catalogues_changed, dispatch_uid="i18n_once")
