from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from services import selectors as catalogue

from .health import readiness, warnings


def home(request: HttpRequest) -> HttpResponse:
    context = {
        "categories": catalogue.category_list(),
        "featured": catalogue.service_list_public().filter(
            code__in=[
                "za-no-criminal-record",
                "crj-entry-exit-record",
                "hz-id-card-renewal",
                "crj-passport",
                "jg-licence-renewal",
                "hz-residence-permit",
            ]
        ),
        "districts": catalogue.district_list(),
    }
    return render(request, "core/home.html", context)


def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness: the process answers (core/health.py)."""
    return JsonResponse({"status": "ok"})


@never_cache
def readyz(request: HttpRequest) -> HttpResponse:
    """Readiness: the database, the broker and the shared cache answer (core/health.py);
    warnings (a late outbox) are listed without making the node unready."""
    ready, checks = readiness()
    body: dict = {"status": "ok" if ready else "unavailable", "checks": checks}
    if notes := warnings():
        body["warnings"] = notes
    return JsonResponse(
        body,
        status=200 if ready else 503,
    )
