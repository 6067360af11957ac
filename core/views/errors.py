"""The site's own error pages (400, 403, CSRF failure, 404, 429, 500), in the visitor's language
and the site's layout, each with a way back; the API's paths get JSON in the API's error shape
(core/api.py). Wired in config/urls.py (handler400…) and settings.CSRF_FAILURE_VIEW."""

import logging

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)

_API_ERRORS = {
    400: ("bad_request", _("The request could not be read.")),
    403: ("permission_denied", _("You may not do this.")),
    404: ("not_found", _("Nothing is at this address.")),
    500: ("server_error", _("An error on our side stopped this request.")),
}


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def error_page(
    request: HttpRequest, template: str, status: int, context: dict | None = None
) -> HttpResponse:
    """Render an error page; when the page itself fails (a 500 because the database is down: the
    layout asks who is signed in), again without the request, then as plain text."""
    if _is_api(request) and status in _API_ERRORS:
        code, detail = _API_ERRORS[status]
        return JsonResponse({"error": code, "detail": str(detail)}, status=status)
    try:
        return render(request, template, context, status=status)
    except Exception:
        logger.exception("error page %s failed with the request; rendering without it", status)
    try:
        return HttpResponse(loader.render_to_string(template, context), status=status)
    except Exception:
        logger.exception("error page %s failed", status)
    return HttpResponse(
        f"{status} 一窗通办 OneWindow", status=status, content_type="text/plain; charset=utf-8"
    )


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    return error_page(request, "400.html", 400)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    return error_page(request, "403.html", 403)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    return error_page(request, "404.html", 404)


def server_error(request: HttpRequest) -> HttpResponse:
    retry = request.path if request.method == "GET" else ""
    return error_page(request, "500.html", 500, {"retry_url": retry})


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form posted after its cookie expired (or with cookies off): say how to go on."""
    return error_page(request, "403_csrf.html", 403, {"reload_url": request.path})


def too_many_requests(
    request: HttpRequest, *, template: str = "429.html", retry_after_seconds: int = 600
) -> HttpResponse:
    """The page of a rate limit that has no form to show again."""
    response = error_page(request, template, 429, {"minutes": -(-retry_after_seconds // 60)})
    response["Retry-After"] = str(retry_after_seconds)
    return response
