"""The site's URLs plus one view raising each error, for core/tests/test_error_pages.py."""

from django.conf.urls.i18n import i18n_patterns
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.db import DatabaseError
from django.http import Http404
from django.urls import path
from django.utils.functional import SimpleLazyObject

from config.urls import handler400, handler403, handler404, handler500
from config.urls import urlpatterns as site

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]


def _raising(exception: Exception):
    def view(request):
        raise exception

    return view


def _database_down(request):
    """A 500 while the database is away: the layout cannot ask who is signed in."""

    def unreachable():
        raise DatabaseError("the database is away")

    request.user = SimpleLazyObject(unreachable)
    raise DatabaseError("the database is away")


urlpatterns = [
    *site,
    *i18n_patterns(
        path("raise/400/", _raising(SuspiciousOperation("a damaged request"))),
        path("raise/403/", _raising(PermissionDenied())),
        path("raise/404/", _raising(Http404())),
        path("raise/500/", _raising(RuntimeError("a bug"))),
        path("raise/500-database/", _database_down),
        prefix_default_language=True,
    ),
    path("api/v1/raise/500/", _raising(RuntimeError("a bug"))),
]
