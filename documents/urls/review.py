"""The reviewer console under /<lang>/staff/documents/ (config/urls.py)."""

from django.urls import path

from documents.views import review as views

app_name = "review"

urlpatterns = [
    path("", views.review_queue, name="queue"),
    path("<str:reference>/", views.review_detail, name="detail"),
    path("<str:reference>/do/<slug:action>/", views.review_action, name="action"),
    path("<str:reference>/materials/<int:material_id>/", views.review_material, name="material"),
    path("<str:reference>/certificate.pdf", views.review_certificate, name="certificate"),
]
