"""Unlocking a locked look-up (accounts/lookup_guard.py):

    /<lang>/unlock/<token>/      the holder, from the link in the SMS (a button: link previews
                                 that fetch the page do not unlock it)
    /<lang>/staff/unlock/        a clerk at the counter, after checking the holder's ID
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from accounts import selectors
from accounts.lookup_guard import (
    KINDS,
    lookup_lock_from_token,
    lookup_lock_get_locked,
    lookup_unlock,
)
from core.client_ip import client_ip
from core.errors import DomainError

UNLOCK_PERM = "accounts.change_lookuplock"


@require_http_methods(["GET", "POST"])
def unlock_link(request: HttpRequest, token: str) -> HttpResponse:
    try:
        lock = lookup_lock_from_token(token)
    except DomainError as refusal:
        context = {"error": str(refusal)}
        return render(request, "accounts/lookup_unlock.html", context, status=refusal.status)
    if request.method == "POST":
        lookup_unlock(lock=lock, via="sms_link", ip=client_ip(request))
        return render(request, "accounts/lookup_unlock.html", {"done": True})
    context = {"what": KINDS.get(lock.kind, lock.kind), "reference": lock.target}
    return render(request, "accounts/lookup_unlock.html", context)


class CounterUnlockForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("What"), choices=list(KINDS.items()))
    reference = forms.CharField(
        label=gettext_lazy("Booking code or message reference"), max_length=64,
        help_text=gettext_lazy("Check the holder's ID card against the record before unlocking."),
    )

    def clean_reference(self) -> str:
        return self.cleaned_data["reference"].strip().upper().replace(" ", "").replace("-", "")


@require_http_methods(["GET", "POST"])
def staff_unlock(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm(UNLOCK_PERM):
        raise PermissionDenied
    form = CounterUnlockForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        lock = lookup_lock_get_locked(kind=data["kind"], key=data["reference"])
        offices = selectors.office_ids_with_perm(request.user, UNLOCK_PERM)
        if lock is None or (offices is not None and lock.office_id not in offices):
            form.add_error("reference", _("No locked record of your offices has this reference."))
            status = 404
        else:
            lookup_unlock(lock=lock, actor=request.user, via="counter", ip=client_ip(request))
            messages.success(request, _("Unlocked: %(ref)s.") % {"ref": lock.target})
            return redirect("staff:unlock")
    return render(request, "accounts/staff_lookup_unlock.html", {"form": form}, status=status)
