from django import template
from django.urls import translate_url
from django.utils.translation import get_language_from_path

register = template.Library()


@register.simple_tag(takes_context=True)
def url_in_language(context: template.Context, lang_code: str) -> str:
    """The current page's URL in another language, keeping the query string. An address that
    resolves to nothing (the 404 page) keeps its path under the other language's prefix; an
    error page drawn without its request links to the other language's home page."""
    request = context.get("request")
    if request is None:
        return f"/{lang_code}/"
    path = request.get_full_path()
    translated = translate_url(path, lang_code)
    current = get_language_from_path(request.path_info)
    if translated == path and current and current != lang_code:
        translated = path.replace(f"/{current}/", f"/{lang_code}/", 1)
    return translated


@register.simple_tag(takes_context=True)
def query_with(context: template.Context, **changes: object) -> str:
    """The current query string with some parameters replaced (for pagination links)."""
    params = context["request"].GET.copy()
    for key, value in changes.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = value
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"


@register.simple_tag
def site_url(viewname: str) -> str:
    """A page's public address (SITE_URL), for text read off a screen rather than clicked."""
    from django.urls import reverse

    from core.links import site_link

    return site_link(reverse(viewname))


@register.simple_tag(takes_context=True)
def elder_switch_url(context: template.Context) -> str:
    """The current page with 长辈版 switched the other way (core.middleware.ElderModeMiddleware
    stores the choice and comes back here without the parameter)."""
    request = context.get("request")
    if request is None:
        return "?elder=1"
    params = request.GET.copy()
    params["elder"] = "0" if getattr(request, "elder_mode", False) else "1"
    return f"{request.path}?{params.urlencode()}"
