"""The waiting-room screen: public, full screen, one per office; polls itself every second."""

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_GET

from services.models import Office

from . import selectors


@require_GET
def screen(request: HttpRequest, code: str) -> HttpResponse:
    try:
        office = selectors.office_get_for_screen(code=code)
    except Office.DoesNotExist:
        raise Http404
    calls = list(selectors.office_recent_calls(office, limit=8))
    context = {
        "office": office,
        "now": timezone.localtime(),
        "time_zone": settings.TIME_ZONE,
        "called": list(selectors.office_called_now(office)),
        "calls": calls,
        "last_call_id": calls[0].pk if calls else 0,
        "waiting": list(selectors.office_waiting_counts(office)),
    }
    template = "queues/screen.html"
    if request.htmx:
        template += "#live"
    response = render(request, template, context)
    add_never_cache_headers(response)
    return response
