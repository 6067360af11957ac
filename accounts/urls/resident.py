"""Residents' accounts under /<lang>/account/ (included from config/urls.py)."""

from django.urls import path

from accounts.views import resident as views

app_name = "account"

urlpatterns = [
    path("", views.home, name="home"),
    path("signup/", views.signup, name="signup"),
    path("signup/code/", views.signup_verify, name="signup_verify"),
    path("code/resend/", views.code_resend, name="code_resend"),
    path("signin/", views.signin, name="signin"),
    path("signout/", views.signout, name="signout"),
    path("password/", views.reset_start, name="reset"),
    path("password/code/", views.reset_verify, name="reset_verify"),
    path("data/", views.data_export, name="data_export"),
    path("delete/", views.delete, name="delete"),
]
