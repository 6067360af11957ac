"""The resident's document pages under /<lang>/documents/ (config/urls.py)."""

from django.urls import path

from documents import views_bundle
from documents.views import certificates as views_certificates
from documents.views import resident as views

app_name = "documents"

urlpatterns = [
    path("", views.request_list, name="request_list"),
    path("apply/<slug:type_code>/", views.request_apply, name="request_apply"),
    path("bundle/<slug:code>/apply/", views_bundle.bundle_apply, name="bundle_apply"),
    path("b/<str:reference>/", views_bundle.bundle_detail, name="bundle_detail"),
    path("r/<str:reference>/", views.request_detail, name="request_detail"),
    path("r/<str:reference>/edit/", views.request_edit, name="request_edit"),
    path("r/<str:reference>/review/", views.request_review, name="request_review"),
    path("r/<str:reference>/certificate.pdf", views_certificates.certificate_pdf,
         name="certificate-pdf"),
    path("r/<str:reference>/withdraw/", views.request_withdraw, name="request_withdraw"),
    path("r/<str:reference>/materials/<int:material_id>/", views.material_download,
         name="material_download"),
    path("r/<str:reference>/materials/<int:material_id>/delete/", views.material_delete,
         name="material_delete"),
]
