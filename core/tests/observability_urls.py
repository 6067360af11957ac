"""The site's URLs plus a view that logs and fails with an ID number in hand, for
core/tests/test_observability.py."""

import logging

from django.http import HttpRequest, HttpResponse
from django.urls import path

from config.urls import urlpatterns as site

logger = logging.getLogger("onewindow.test")
ID_NUMBER = "110101199003077777"


def _logs(request: HttpRequest) -> HttpResponse:
    logger.warning("looked up %s", ID_NUMBER)
    return HttpResponse("ok")


def _fails(request: HttpRequest) -> HttpResponse:
    raise RuntimeError(f"no booking for {request.POST.get('id_number', '')}")


urlpatterns = [
    *site,
    path("test/logs/", _logs, name="test-logs"),
    path("test/fails/", _fails, name="test-fails"),
]
