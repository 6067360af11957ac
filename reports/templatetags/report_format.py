"""Formatting of statistics cells: minutes, shares and averages, "–" when there is nothing."""

from django import template
from django.utils.formats import number_format
from django.utils.html import format_html_join
from django.utils.translation import gettext as _

from reports.tables import AVERAGE, MINUTES, SHARE

register = template.Library()


@register.simple_tag
def cell(row, column) -> str:
    return fmt(column.value(row), column.kind)


@register.filter
def fmt(value, kind: str = "int") -> str:
    if value is None:
        return "–"
    if kind == SHARE:
        return _("%(value)s%%") % {"value": number_format(round(value * 100, 1), 1)}
    if kind == AVERAGE:
        return number_format(round(value, 2), 2)
    if kind == MINUTES:
        return str(value)
    return number_format(value, force_grouping=True)


@register.simple_tag
def row_cells(row, columns) -> str:
    """All the <td> cells of one table row at once: a year per day is 6,000 cells, and one tag
    per cell made the page's rendering its slowest part."""
    return format_html_join(
        "", '<td class="num">{}</td>', ((fmt(c.value(row), c.kind),) for c in columns)
    )
