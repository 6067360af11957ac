from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

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


def healthz(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"status": "ok"})
