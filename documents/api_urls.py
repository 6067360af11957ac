from django.urls import path

from .api import (
    ApplicationCreateView,
    ApplicationDetailView,
    BundleApplicationCreateView,
    BundleApplicationDetailView,
    ServiceFormView,
)

urlpatterns = [
    path("services/<slug:code>/form/", ServiceFormView.as_view(), name="api-service-form"),
    path("applications/", ApplicationCreateView.as_view(), name="api-application-create"),
    path("applications/<str:reference>/", ApplicationDetailView.as_view(),
         name="api-application-detail"),
    path("bundles/<slug:code>/applications/", BundleApplicationCreateView.as_view(),
         name="api-bundle-application-create"),
    path("bundle-applications/<str:reference>/", BundleApplicationDetailView.as_view(),
         name="api-bundle-application-detail"),
]
