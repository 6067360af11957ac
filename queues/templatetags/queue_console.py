"""Small filters for the counter console: a masked name, and how long ago something happened."""

import datetime as dt

from django import template

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
