"""Small filters for the counter console: a masked name, how long ago something happened, a
time of day and a ticket's status."""

import datetime as dt

from django import template

from queues.constants import TicketStatus

register = template.Library()


@register.filter
def masked_name(name: str) -> str:
    """张三 → 张*: enough for the clerk to greet the resident, not enough to identify them."""
    name = (name or "").strip()
    return name[:1] + "*" * max(len(name) - 1, 1) if name else ""


@register.filter
def clock_since(since: dt.datetime | None, now: dt.datetime) -> str:
    """Minutes and seconds from `since` to `now`, as 04:07 (hours added past the hour)."""
    if since is None:
        return ""
    seconds = max(int((now - since).total_seconds()), 0)
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes:02d}:{seconds:02d}"


@register.filter(expects_localtime=True)
def hhmm(value: dt.datetime | dt.time | None) -> str:
    """`{{ value|time:"H:i" }}` (the template's time zone, 24-hour clock) without Django's
    date-format machinery: the ticket panel shows two, re-rendered for every key pressed."""
    if not isinstance(value, dt.datetime | dt.time):
        return ""
    return f"{value.hour:02d}:{value.minute:02d}"


@register.filter
def status_label(status: str) -> str:
    """`ticket.get_status_display`, without Django's rebuilding of the field's choices (a hash
    of every lazy label) at every call: the panel shows it for every key pressed."""
    try:
        return str(TicketStatus(status).label)
    except ValueError:
        return status
