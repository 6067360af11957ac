"""Staff sign-in: password, then a second factor, then the staff home.

    sign-in (username + password)
      ├─ no authenticator yet → enrolment (QR code + secret, confirmed with a code)
      │                          → backup codes, shown once → staff home
      └─ authenticator        → code (TOTP or a backup code) → staff home

The middleware (accounts/middleware.py) sends every unverified request under /staff/ and /admin/
here; these four views are the only ones it lets through before the second factor.
"""

import base64

import django_otp
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import REDIRECT_FIELD_NAME, login, logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from accounts import actions, selectors
from accounts.admin_site import is_verified
from accounts.forms.staff import OtpCodeForm, StaffSignInForm, TotpConfirmForm
from accounts.middleware import is_guarded, second_factor_exempt
from core.errors import DomainError
from core.qr import qr_svg

BACKUP_CODES_KEY = "staff_backup_codes"


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get(REDIRECT_FIELD_NAME) or request.GET.get(REDIRECT_FIELD_NAME, "")
    safe = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if target and safe else reverse("staff:home")


def _with_next(url_name: str, request: HttpRequest) -> str:
    target = _next_url(request)
    url = reverse(url_name)
    if target == reverse("staff:home"):
        return url
    return f"{url}?{urlencode({REDIRECT_FIELD_NAME: target})}"


def _second_step(request: HttpRequest) -> HttpResponse:
    """Where a signed-in but unverified staff member goes next."""
    if selectors.staff_totp_confirmed(request.user):
        return redirect(_with_next("staff:verify", request))
    return redirect(_with_next("staff:enrol", request))


def _verified(request: HttpRequest, device) -> None:
    django_otp.login(request, device)
    request.session.cycle_key()  # a new session id for the higher privilege


def _signed_in_staff(request: HttpRequest) -> bool:
    return request.user.is_authenticated and selectors.staff_may_sign_in(request.user)


@second_factor_exempt
@sensitive_post_parameters("password")
@csrf_protect
@never_cache
def staff_signin(request: HttpRequest) -> HttpResponse:
    if _signed_in_staff(request):
        return redirect(_next_url(request)) if is_verified(request) else _second_step(request)
    form = StaffSignInForm(request, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        login(request, form.get_user())
        return _second_step(request)
    context = {"form": form, "next": _next_url(request)}
    return render(request, "accounts/staff_signin.html", context)


@second_factor_exempt
@sensitive_post_parameters("otp")
@csrf_protect
@never_cache
def staff_verify(request: HttpRequest) -> HttpResponse:
    if not _signed_in_staff(request):
        return redirect(_with_next("staff:signin", request))
    if is_verified(request):
        return redirect(_next_url(request))
    if not selectors.staff_totp_confirmed(request.user):
        return redirect(_with_next("staff:enrol", request))
    form = OtpCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = actions.staff_otp_verify(user=request.user, token=form.cleaned_data["otp"])
        except DomainError as error:
            form.add_error("otp", str(error))
        else:
            _verified(request, device)
            return redirect(_next_url(request))
    context = {"form": form, "next": _next_url(request)}
    return render(request, "accounts/staff_verify.html", context)


@second_factor_exempt
@sensitive_post_parameters("otp")
@csrf_protect
@never_cache
def staff_enrol(request: HttpRequest) -> HttpResponse:
    if not _signed_in_staff(request):
        return redirect(_with_next("staff:signin", request))
    if is_verified(request):
        return redirect(_next_url(request))
    if selectors.staff_totp_confirmed(request.user):
        return _second_step(request)  # the app is set up: a code, never a second enrolment
    form = TotpConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device, codes = actions.staff_totp_confirm(
                user=request.user, token=form.cleaned_data["otp"]
            )
        except DomainError as error:
            form.add_error("otp", str(error))
        else:
            _verified(request, device)
            request.session[BACKUP_CODES_KEY] = codes
            return redirect(_with_next("staff:backup_codes", request))
    device = actions.staff_totp_pending(user=request.user)
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    context = {
        "form": form,
        "next": _next_url(request),
        "qr": qr_svg(device.config_url, scale=5, title=_("QR code for your authenticator app")),
        "secret": secret,
        "secret_groups": [secret[i : i + 4] for i in range(0, len(secret), 4)],
    }
    return render(request, "accounts/staff_enrol.html", context)


@never_cache
def staff_backup_codes(request: HttpRequest) -> HttpResponse:
    """The backup codes, once: they leave the session as they are shown."""
    codes = request.session.pop(BACKUP_CODES_KEY, None)
    context = {"codes": codes, "next": _next_url(request)}
    return render(request, "accounts/staff_backup_codes.html", context)


@second_factor_exempt
@require_POST
@csrf_protect
def staff_signout(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.info(request, _("You have signed out."))
    return redirect("staff:signin")


# Staff pages outside the admin, shown on the staff home to whoever holds the permission:
# (title, URL name, permission). Screens of later apps (counter console, reviews) join here.
STAFF_PAGES = [
    (_lazy("Search the audit trail"), "audit:list", "accounts.view_auditentry"),
    (_lazy("Counter console"), "console:pick", "queues.change_ticket"),
    (_lazy("Document requests"), "review:queue", "documents.change_documentrequest"),
    (_lazy("Statistics"), "reports:dashboard", "reports.view_dailyfigure"),
    (_lazy("Follow-up cases"), "feedback_staff:cases", "feedback.change_followupcase"),
    (_lazy("Director's mailbox"), "feedback_staff:mailbox", "feedback.change_mailboxitem"),
    (_lazy("Unlock a booking or message"), "staff:unlock", "accounts.change_lookuplock"),
]


def _staff_pages(request: HttpRequest) -> list[tuple[str, str]]:
    pages = []
    for title, url_name, perm in STAFF_PAGES:
        if not request.user.has_perm(perm):
            continue
        try:
            pages.append((title, reverse(url_name)))
        except NoReverseMatch:
            continue
    return pages


@never_cache
def staff_home(request: HttpRequest) -> HttpResponse:
    context = {
        "roles": selectors.staff_roles_for_home(request.user),
        "pages": _staff_pages(request),
        "admin_apps": admin.site.get_app_list(request),
    }
    return render(request, "accounts/staff_home.html", context)


def staff_lockout(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """django-axes answers with this (AXES_LOCKOUT_CALLABLE) instead of a sign-in page, staff's or
    a resident's, once a username has failed too often from one address."""
    cool_off = settings.AXES_COOLOFF_TIME
    context = {
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "lock_minutes": int(cool_off.total_seconds() // 60) if cool_off else None,
        "staff": is_guarded(request.path_info),
        "back_url": request.get_full_path(),
    }
    return render(request, "accounts/staff_lockout.html", context, status=429)
