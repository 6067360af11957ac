from django.urls import path
from django.utils.translation import gettext_lazy as _  # noqa: F401

from . import views

app_name = "services"

urlpatterns = [
    path("services/", views.service_list, name="service_list"),
    path("services/<slug:code>/", views.service_detail, name="service_detail"),
    path("bundles/<slug:code>/", views.bundle_detail, name="bundle_detail"),
    path("offices/", views.office_list, name="office_list"),
    path("offices/<slug:code>/", views.office_detail, name="office_detail"),
]
