"""Residents' own accounts: sign up with a mobile number or an e-mail address (proved with a
6-digit code), sign in and out, reset a forgotten password, download one's data and delete the
account. An account is optional: booking works without one.

These pages serve residents only. A staff account is refused here, both at sign-in and on every
page: staff sign in through their own page with a second factor, and a resident account has no
role, so it never reaches a staff page."""

import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.hashers import make_password
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts import actions, selectors
from accounts.decorators import resident_required
from accounts.errors import CodeTooSoon
from accounts.forms.resident import (
    CodeForm,
    DeleteForm,
    ResetCodeForm,
    ResetStartForm,
    SigninForm,
    SignupForm,
)
from accounts.models import CodePurpose, ResidentProfile
from core.client_ip import client_ip
from core.errors import DomainError
from notifications.actions import recipient_mask

PENDING = "resident_pending"  # session: the address a code was sent to, and for what


def _sign_in(request: HttpRequest, user) -> None:
    # With django-axes in AUTHENTICATION_BACKENDS there are several backends: name the one
    # that keeps the session (the password itself was checked by authenticate or a code).
    backends = settings.AUTHENTICATION_BACKENDS
    model_backend = "django.contrib.auth.backends.ModelBackend"
    login(request, user, backend=model_backend if model_backend in backends else backends[-1])


def _pending(request: HttpRequest, purpose: str) -> dict | None:
    pending = request.session.get(PENDING)
    return pending if pending and pending.get("purpose") == purpose else None


def _next_url(request: HttpRequest) -> str:
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    safe = url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return wanted if safe else reverse("account:home")


def _code_context(request: HttpRequest, pending: dict, form, error: str | None) -> dict:
    channel = actions.contact_channel(pending["destination"])
    return {
        "form": form,
        "error": error,
        "purpose": pending["purpose"],
        "destination": recipient_mask(channel, pending["destination"]),
        "by_sms": channel == "sms",
    }


# --- signing up ------------------------------------------------------------------------------


def _send_code(request: HttpRequest, purpose: str, destination: str, send) -> str | None:
    """Send a verification code with `send`; the refusal to show, or None. A second submit
    within the minute to the same address is no refusal: the code already sent stays valid."""
    previous = _pending(request, purpose)
    try:
        send(destination=destination, language=request.LANGUAGE_CODE)
    except CodeTooSoon as refusal:
        if not previous or previous["destination"] != destination:
            return str(refusal)
    except DomainError as refusal:
        return str(refusal)
    return None


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if selectors.user_is_resident(request.user):
        return redirect("account:home")
    form = SignupForm(request.POST or None)
    error = None
    if request.method == "POST" and form.is_valid():
        destination = form.cleaned_data["contact"]
        error = _send_code(request, CodePurpose.SIGNUP, destination, actions.resident_signup_start)
        if error is None:
            request.session[PENDING] = {
                "purpose": CodePurpose.SIGNUP,
                "destination": destination,
                "password_hash": make_password(form.cleaned_data["password1"]),
                "notice_version": form.cleaned_data["notice_version"],
            }
            return redirect("account:signup_verify")
    status = 429 if error else 200
    context = {"form": form, "error": error}
    return render(request, "accounts/resident_signup.html", context, status=status)


@require_http_methods(["GET", "POST"])
def signup_verify(request: HttpRequest) -> HttpResponse:
    pending = _pending(request, CodePurpose.SIGNUP)
    if pending is None:
        return redirect("account:signup")
    form = CodeForm(request.POST or None)
    error = None
    if request.method == "POST" and form.is_valid():
        try:
            user = actions.resident_signup_confirm(
                destination=pending["destination"],
                code=form.cleaned_data["code"],
                password_hash=pending["password_hash"],
                language=request.LANGUAGE_CODE,
                privacy_notice_version=pending.get("notice_version", ""),
            )
        except DomainError as refusal:
            error = str(refusal)
        else:
            request.session.pop(PENDING, None)
            _sign_in(request, user)
            messages.success(request, _("Welcome! Your account is ready."))
            return redirect("account:home")
    context = _code_context(request, pending, form, error)
    status = 400 if error else 200
    return render(request, "accounts/resident_code.html", context, status=status)


@require_POST
def code_resend(request: HttpRequest) -> HttpResponse:
    pending = request.session.get(PENDING)
    if not pending:
        return redirect("account:signin")
    send = {
        CodePurpose.SIGNUP: actions.resident_signup_start,
        CodePurpose.RESET: actions.resident_reset_start,
    }[pending["purpose"]]
    try:
        send(destination=pending["destination"], language=request.LANGUAGE_CODE)
    except DomainError as refusal:
        messages.error(request, str(refusal))
    else:
        messages.info(request, _("A new code is on its way. The earlier one no longer works."))
    if pending["purpose"] == CodePurpose.SIGNUP:
        return redirect("account:signup_verify")
    return redirect("account:reset_verify")


# --- signing in and out ------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def signin(request: HttpRequest) -> HttpResponse:
    if selectors.user_is_resident(request.user):
        return redirect(_next_url(request))
    form = SigninForm(request.POST or None)
    error = None
    if request.method == "POST" and form.is_valid():
        user = authenticate(
            request,
            username=form.cleaned_data["contact"],
            password=form.cleaned_data["password"],
        )
        if user is not None and selectors.user_is_resident(user):
            _sign_in(request, user)
            return redirect(_next_url(request))
        if getattr(request, "axes_locked_out", False):
            error = _("Too many failed attempts. Please try again later or reset your password.")
        else:
            # The same answer for an unknown address, a wrong password and a staff account.
            error = _("The mobile number or e-mail address, or the password, is wrong.")
    context = {"form": form, "error": error, "next": _next_url(request)}
    return render(request, "accounts/resident_signin.html", context, status=400 if error else 200)


@require_POST
def signout(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.info(request, _("You have signed out."))
    return redirect("core:home")


# --- forgotten password ------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def reset_start(request: HttpRequest) -> HttpResponse:
    form = ResetStartForm(request.POST or None)
    error = None
    if request.method == "POST" and form.is_valid():
        destination = form.cleaned_data["contact"]
        error = _send_code(request, CodePurpose.RESET, destination, actions.resident_reset_start)
        if error is None:
            request.session[PENDING] = {"purpose": CodePurpose.RESET, "destination": destination}
            return redirect("account:reset_verify")
    context = {"form": form, "error": error}
    return render(request, "accounts/resident_reset.html", context, status=429 if error else 200)


@require_http_methods(["GET", "POST"])
def reset_verify(request: HttpRequest) -> HttpResponse:
    pending = _pending(request, CodePurpose.RESET)
    if pending is None:
        return redirect("account:reset")
    form = ResetCodeForm(request.POST or None, contact=pending["destination"])
    error = None
    if request.method == "POST" and form.is_valid():
        try:
            user = actions.resident_password_reset(
                destination=pending["destination"],
                code=form.cleaned_data["code"],
                password=form.cleaned_data["password1"],
            )
        except DomainError as refusal:
            error = str(refusal)
        else:
            request.session.pop(PENDING, None)
            _sign_in(request, user)
            messages.success(request, _("Your password was changed."))
            return redirect("account:home")
    context = _code_context(request, pending, form, error)
    status = 400 if error else 200
    return render(request, "accounts/resident_code.html", context, status=status)


# --- the account ---------------------------------------------------------------------------------


@resident_required
def home(request: HttpRequest) -> HttpResponse:
    profile = ResidentProfile.objects.get(user=request.user)
    return render(request, "accounts/resident_home.html", {"profile": profile})


@require_POST
@resident_required
def data_export(request: HttpRequest) -> HttpResponse:
    data = actions.resident_data_export(user=request.user, ip=client_ip(request))
    data["exported_at"] = timezone.now().isoformat()
    body = json.dumps(data, ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    filename = f"onewindow-my-data-{timezone.localdate():%Y%m%d}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["GET", "POST"])
@resident_required
def delete(request: HttpRequest) -> HttpResponse:
    form = DeleteForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        user = request.user
        logout(request)  # first: signing out is recorded for an account that still exists
        actions.resident_delete(user=user, ip=client_ip(request))
        messages.success(
            request,
            _("Your account was deleted. Bookings the law requires us to keep are now anonymous."),
        )
        return redirect("core:home")
    status = 400 if form.errors else 200
    return render(request, "accounts/resident_delete.html", {"form": form}, status=status)
