"""The resident's feedback pages, under /<lang>/feedback/ (config/urls.py)."""

from django.urls import path

from feedback.views import resident as views

app_name = "feedback"

urlpatterns = [
    path("rate/thanks/", views.rate_thanks, name="rate_thanks"),
    path("rate/<str:token>/", views.rate, name="rate"),
    path("mailbox/", views.mailbox_submit, name="mailbox"),
    path("mailbox/sent/", views.mailbox_sent, name="mailbox_sent"),
    path("mailbox/follow/", views.mailbox_follow, name="mailbox_follow"),
]
