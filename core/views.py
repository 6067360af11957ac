from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from services import selectors as catalogue

from .health import readiness


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
    """Readiness: the database, the broker and the shared cache answer (core/health.py)."""
    ready, checks = readiness()
    return JsonResponse(
        {"status": "ok" if ready else "unavailable", "checks": checks},
        status=200 if ready else 503,
    )
