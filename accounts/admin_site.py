"""The admin site, behind the staff sign-in and its second factor.

Installed as the default admin site (INSTALLED_APPS lists `StaffAdminConfig` in place of
`django.contrib.admin`), so every `admin.site.register` in the project lands here. The admin's
own login page never shows a form: it sends the browser to the staff sign-in, which is the only
way in (password, then TOTP or a backup code). `StaffSecondFactorMiddleware` guards the admin
URLs already; `has_permission` checks again, so the admin stays closed if the middleware is ever
removed.
"""

from django.contrib.admin.apps import AdminConfig
from django.contrib.admin.sites import AdminSite
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _


def is_verified(request: HttpRequest) -> bool:
    """Signed in with a password *and* a second factor (django-otp's middleware sets this)."""
    user = request.user
    return user.is_authenticated and getattr(user, "is_verified", lambda: False)()


class StaffAdminSite(AdminSite):
    site_header = _("OneWindow administration")
    site_title = _("OneWindow administration")
    index_title = _("Administration")

    def has_permission(self, request: HttpRequest) -> bool:
        return super().has_permission(request) and is_verified(request)

    def login(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        # Imported here: this module is loaded with the app registry, before models are ready.
        from django.contrib.auth.views import redirect_to_login

        target = request.GET.get(REDIRECT_FIELD_NAME, "")
        safe = url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
        return redirect_to_login(
            target if safe and target else reverse("admin:index", current_app=self.name),
            login_url=reverse("staff:signin"),
        )

    def logout(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        from .views.staff import staff_signout  # the one sign-out: same message, same redirect

        return staff_signout(request)


class StaffAdminConfig(AdminConfig):
    default_site = "accounts.admin_site.StaffAdminSite"
