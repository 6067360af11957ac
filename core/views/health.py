from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from core.health import readiness, warnings
from core.privacy import PRIVACY_NOTICE_VERSION, notice_effective_date, retention_periods
from services import selectors as catalogue


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


def privacy_notice(request: HttpRequest) -> HttpResponse:
    """What is collected and why, for how long, who sees it, and the resident's rights."""
    context = {
        "version": PRIVACY_NOTICE_VERSION,
        "effective": notice_effective_date(),
        "periods": retention_periods(),
        "mailbox_days": settings.FEEDBACK["MAILBOX_WORKING_DAYS"],
    }
    return render(request, "core/privacy_notice.html", context)


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
