from django.urls import path

from .api import ApplicationCreateView, ApplicationDetailView, ServiceFormView

urlpatterns = [
    path("services/<slug:code>/form/", ServiceFormView.as_view(), name="api-service-form"),
    path("applications/", ApplicationCreateView.as_view(), name="api-application-create"),
    path("applications/<str:reference>/", ApplicationDetailView.as_view(),
         name="api-application-detail"),
]
