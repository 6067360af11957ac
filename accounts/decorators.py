"""View decorators other apps use for residents' pages (public, like `admin_scoping`).

`@resident_required`: a visitor is sent to the resident sign-in page and back; a signed-in
account that is not a resident's (staff, an inactive account) gets 403 — staff sign in with a
second factor, which residents' pages never ask for (`selectors.user_is_resident`)."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from .selectors import user_is_resident

View = Callable[..., HttpResponse]


def resident_required(view: View) -> View:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse("account:signin"))
        if not user_is_resident(request.user):
            raise PermissionDenied(_("This page is for residents' accounts only."))
        return view(request, *args, **kwargs)

    return wrapper
