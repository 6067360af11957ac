"""The waiting-room screen: public, full screen, one per office; refreshed by push
(queues/streams.py), polling every second only while its stream is down."""

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_GET

from queues import selectors
from services.models import Office


@require_GET
def screen(request: HttpRequest, code: str) -> HttpResponse:
    try:
        office = selectors.office_get_for_screen(code=code)
    except Office.DoesNotExist:
        raise Http404
    calls = list(selectors.office_recent_calls(office, limit=6))
    context = {
        "office": office,
        "now": timezone.localtime(),
        "time_zone": settings.TIME_ZONE,
        "called": list(selectors.office_called_now(office)),
        "calls": calls,
        "last_call_id": calls[0].pk if calls else 0,
        **_waiting_rows(list(selectors.office_waiting_counts(office))),
    }
    template = "queues/screen.html"
    if request.htmx:
        template += "#live"
    response = render(request, template, context)
    add_never_cache_headers(response)
    return response


WAITING_ROWS = 4  # what fits the screen; the rest are summed on one line


def _waiting_rows(services: list) -> dict:
    rest = services[WAITING_ROWS:]
    more = {"services": len(rest), "people": sum(s.waiting for s in rest)} if rest else None
    return {"waiting": services[:WAITING_ROWS], "waiting_more": more}
