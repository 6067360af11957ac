"""The statistics dashboard and its exports, under /<lang>/staff/reports/ (config/urls.py).

    /staff/reports/                          the dashboard (?first=&last=&office=)
    /staff/reports/export/<table>.<format>   one table as CSV or XLSX, same query string

Managers see their offices; a role without an office (the bureau) sees all. An office outside
the user's scope is a 404, like a row of another office anywhere else.
"""

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accounts.actions import audit_export

from . import charts, selectors
from .constants import PERM
from .exports import XLSX, table_csv, table_xlsx
from .forms import RangeForm, default_range, presets
from .tables import TABLES, report_table, report_tables


def _scope(request: HttpRequest):
    """(office ids to report on, the offices of the filter, the bound form)."""
    if not request.user.has_perm(PERM):
        raise PermissionDenied
    offices = selectors.report_office_list(request.user)
    first, last = default_range()
    data = {"first": first, "last": last, **request.GET.dict()}
    if "office" in request.GET and request.GET["office"]:
        try:
            wanted = int(request.GET["office"])
        except ValueError:
            raise Http404 from None
        if not offices.filter(pk=wanted).exists():
            raise Http404  # another office's statistics: not found, as elsewhere
    form = RangeForm(data, offices=offices)
    if form.is_valid():
        first, last = form.cleaned_data["first"], form.cleaned_data["last"]
        office = form.cleaned_data["office"]
    else:
        office = None
    if office is not None:
        ids = {office.pk}
    else:
        ids = selectors.report_office_ids(request.user)
        if ids is not None and not ids:
            raise PermissionDenied
    return ids, first, last, office, form


def _query(first: dt.date, last: dt.date, office) -> str:
    params = {"first": first.isoformat(), "last": last.isoformat()}
    if office is not None:
        params["office"] = office.pk
    return urlencode(params)


@never_cache
@require_GET
def report_dashboard(request: HttpRequest) -> HttpResponse:
    ids, first, last, office, form = _scope(request)
    report = selectors.report_get(office_ids=ids, first=first, last=last)
    series = [
        ("bookings", "series-bookings", _("Bookings")),
        ("check_ins", "series-checkins", _("Check-ins")),
        ("no_shows", "series-noshows", _("No-shows")),
    ]
    distribution = selectors.wait_distribution(report.total)
    context = {
        "form": form,
        "report": report,
        "office": office,
        "query": _query(first, last, office),
        "presets": [
            (label, _query(a, b, office), (a, b) == (first, last)) for label, a, b in presets()
        ],
        "tables": report_tables(report),
        "daily": charts.line_chart(report.by_day, series),
        "distribution": distribution,
        "histogram": charts.histogram(distribution),
        "comparison": charts.comparison(report.by_office) if len(report.by_office) > 1 else None,
        "today": timezone.localdate(),
    }
    return render(request, "reports/report_dashboard.html", context)


@never_cache
@require_GET
def report_export(request: HttpRequest, table: str, fmt: str) -> HttpResponse:
    if table not in TABLES or fmt not in ("csv", "xlsx"):
        raise Http404
    ids, first, last, office, _form = _scope(request)
    report = selectors.report_get(office_ids=ids, first=first, last=last)
    chosen = report_table(report, table)
    name = f"onewindow-{table}-{first:%Y%m%d}-{last:%Y%m%d}.{fmt}"
    if fmt == "csv":
        body, mime = table_csv(chosen, total_label=_("Total")), "text/csv; charset=utf-8"
    else:
        body = table_xlsx(chosen, total_label=_("Total"), sheet_title=str(chosen.title))
        mime = XLSX
    # Figures, not personal data; recorded anyway, it costs one row.
    audit_export(
        actor=request.user, what=f"statistics {table} {fmt}", count=len(chosen.rows),
        request=request, office_id=office.pk if office else None,
        filters={"first": first.isoformat(), "last": last.isoformat()},
    )  # fmt: skip
    response = HttpResponse(body, content_type=mime)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
