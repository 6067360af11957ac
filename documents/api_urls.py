from django.urls import path

from .api import ApplicationCreateView, ApplicationDetailView

urlpatterns = [
    path("applications/", ApplicationCreateView.as_view(), name="api-application-create"),
    path("applications/<str:reference>/", ApplicationDetailView.as_view(),
         name="api-application-detail"),
]
