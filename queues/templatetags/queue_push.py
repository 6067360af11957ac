"""The addresses of the queue's pushed updates for pages (queues/streams.py):
`{% load queue_push %}<div hx-ext="sse" sse-connect="{% screen_stream office %}">`."""

from django import template

from .. import streams

register = template.Library()

register.simple_tag(streams.screen_stream_url, name="screen_stream")
register.simple_tag(streams.office_stream_url, name="office_stream")
register.simple_tag(streams.counter_stream_url, name="counter_stream")
register.simple_tag(streams.ticket_stream_url, name="ticket_stream")
