"""Managers' feedback pages, under /<lang>/staff/feedback/ (config/urls.py)."""

from django.urls import path

from feedback.views import staff as views_staff

app_name = "feedback_staff"

urlpatterns = [
    path("cases/", views_staff.case_list, name="cases"),
    path("cases/<int:case_id>/", views_staff.case_detail, name="case"),
    path("cases/<int:case_id>/contact/", views_staff.case_contact, name="case_contact"),
    path("mailbox/", views_staff.mailbox_list, name="mailbox"),
    path("mailbox/<int:item_id>/", views_staff.mailbox_item, name="mailbox_item"),
    path("mailbox/<int:item_id>/contact/", views_staff.mailbox_contact, name="mailbox_contact"),
    path(
        "mailbox/<int:item_id>/attachment/",
        views_staff.mailbox_attachment,
        name="mailbox_attachment",
    ),
]
