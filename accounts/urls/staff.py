"""Staff pages, under /<lang>/staff/ (config/urls.py)."""

from django.urls import path

from accounts.views import staff as views
from accounts.views import unlock as views_lookup

app_name = "staff"

urlpatterns = [
    path("", views.staff_home, name="home"),
    path("sign-in/", views.staff_signin, name="signin"),
    path("sign-in/code/", views.staff_verify, name="verify"),
    path("sign-in/authenticator/", views.staff_enrol, name="enrol"),
    path("sign-in/backup-codes/", views.staff_backup_codes, name="backup_codes"),
    path("sign-out/", views.staff_signout, name="signout"),
    path("unlock/", views_lookup.staff_unlock, name="unlock"),
]
