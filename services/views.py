from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from . import selectors
from .filters import OfficeFilter, ServiceFilter
from .models import Bundle, Office, Service

PAGE_SIZE = 12


def service_list(request: HttpRequest) -> HttpResponse:
    filterset = ServiceFilter(
        request.GET,
        queryset=selectors.service_with_online_application(selectors.service_list_public()),
    )
    page = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "filter": filterset,
        "page": page,
        "categories": selectors.category_list(),
        "suggestions": [] if page.object_list else selectors.service_search_suggestions(),
        "bundles": selectors.bundle_list_public(),
    }
    template = "services/service_list.html"
    if request.htmx:
        template += "#results"
    return render(request, template, context)


def service_detail(request: HttpRequest, code: str) -> HttpResponse:
    try:
        service = selectors.service_get_public(code=code)
    except Service.DoesNotExist:
        raise Http404
    offices = list(service.offices.all())
    now = timezone.now()
    rows = [(office, selectors.office_open_state(office, at=now)) for office in offices]
    return render(
        request, "services/service_detail.html", {"service": service, "office_rows": rows}
    )


def office_list(request: HttpRequest) -> HttpResponse:
    filterset = OfficeFilter(request.GET, queryset=selectors.office_list_public())
    page = Paginator(filterset.qs.distinct(), PAGE_SIZE).get_page(request.GET.get("page"))
    now = timezone.now()
    rows = [(office, selectors.office_open_state(office, at=now)) for office in page]
    context = {"filter": filterset, "page": page, "office_rows": rows}
    template = "services/office_list.html"
    if request.htmx:
        template += "#results"
    return render(request, template, context)


def office_detail(request: HttpRequest, code: str) -> HttpResponse:
    try:
        office = selectors.office_get_public(code=code)
    except Office.DoesNotExist:
        raise Http404
    counters = [(c, selectors.counter_services(c)) for c in office.counters.all()]
    context = {
        "office": office,
        "state": selectors.office_open_state(office),
        "week": selectors.office_week_hours(office),
        "today_weekday": timezone.localtime().weekday(),
        "counters": counters,
        "services": office.services.all(),
    }
    return render(request, "services/office_detail.html", context)


def bundle_detail(request: HttpRequest, code: str) -> HttpResponse:
    try:
        view = selectors.bundle_get_public(code=code)
    except Bundle.DoesNotExist:
        raise Http404 from None
    return render(request, "services/bundle_detail.html", {"view": view, "bundle": view.bundle})
