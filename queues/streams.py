"""The queue's pushed updates (core/push.py): who may listen to what, and what they hear.

    /push/screen/<office code>/   the waiting-room screen (public, as the screen is): "queue"
    /push/office/<office id>/     the manager's live view: staff signed in with the second
                                  factor, live-view permission, the office in their scope
    /push/counter/<counter id>/   the clerk's board: the same for the console's counters;
                                  "here" when the change is at this counter, "queue" always
    /push/ticket/<follow token>/  a resident's ticket page: "ticket" when this ticket changes,
                                  "queue" (nothing else: no number, no kind) when the office's
                                  queue moves, so its place may have changed

Every message is a nudge: the page then asks its usual view for its fragment (the polls' own
view, permissions and template). Publishing: `queue_changed` from queues.actions, after commit.
"""

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from django.urls import path
from django_otp import DEVICE_ID_SESSION_KEY

from core.push import EventStreamConsumer, push_publish, stream_url
from queues.selectors import console as console
from services.models import Counter, Office

from . import selectors
from .models import Ticket

QUEUE = "queue"


def office_group(office_id: int) -> str:
    return f"queue.office.{office_id}"


def queue_changed(
    *, office_id: int, ticket_id: int | None = None, kind: str, counter_id: int | None = None
) -> None:
    """After commit, the office's streams hear `kind`: one message per change, which each
    stream turns into what its page may know (a ticket's page learns only its own ticket)."""
    push_publish([office_group(office_id)], QUEUE, kind=kind, ticket=ticket_id, counter=counter_id)


# --- the addresses pages connect to -------------------------------------------------------------


def screen_stream_url(office: Office) -> str:
    return stream_url(f"screen/{office.code}")


def office_stream_url(office: Office) -> str:
    return stream_url(f"office/{office.pk}")


def counter_stream_url(counter: Counter) -> str:
    return stream_url(f"counter/{counter.pk}")


def ticket_stream_url(ticket: Ticket) -> str:
    return stream_url(f"ticket/{ticket.follow_token}")


# --- streams ------------------------------------------------------------------------------------


class ScreenStream(EventStreamConsumer):
    async def authorize(self):
        office = await database_sync_to_async(_screen_office)(self.scope["url_route"]["kwargs"])
        return 404 if office is None else [office_group(office)]

    def render(self, message):
        return QUEUE, message.get("kind") or ""


def _screen_office(kwargs) -> int | None:
    try:
        return selectors.office_get_for_screen(code=kwargs["code"]).pk
    except Office.DoesNotExist:
        return None


def _staff(scope, perm: str):
    """The signed-in staff member with the second factor and `perm`, else None (the pages'
    rules: accounts.middleware and the console views)."""
    from django_otp.models import Device

    user = scope.get("user")
    if user is None or not user.is_authenticated or not user.has_perm(perm):
        return None
    device = Device.from_persistent_id(scope["session"].get(DEVICE_ID_SESSION_KEY) or "")
    if device is None or device.user_id != user.pk:
        return None
    return user


class OfficeStream(EventStreamConsumer):
    async def authorize(self):
        return await database_sync_to_async(self._authorize)()

    def _authorize(self):
        user = _staff(self.scope, "queues.view_ticket")
        if user is None:
            return 403
        office_id = self.scope["url_route"]["kwargs"]["office_id"]
        try:
            console.office_get_for_live(user, office_id)
        except Office.DoesNotExist:
            return 403
        return [office_group(office_id)]

    def render(self, message):
        return QUEUE, message.get("kind") or ""


class CounterStream(EventStreamConsumer):
    async def authorize(self):
        return await database_sync_to_async(self._authorize)()

    def _authorize(self):
        user = _staff(self.scope, "queues.change_ticket")
        if user is None:
            return 403
        try:
            counter = console.counter_get_for_console(
                user, self.scope["url_route"]["kwargs"]["counter_id"], services=False
            )
        except Counter.DoesNotExist:
            return 403
        self.counter_id = counter.pk
        return [office_group(counter.office_id)]

    def render(self, message):
        here = message.get("counter") == self.counter_id
        return ("here" if here else QUEUE), message.get("kind") or ""


class TicketStream(EventStreamConsumer):
    async def authorize(self):
        ticket = await database_sync_to_async(_follow_ticket)(self.scope["url_route"]["kwargs"])
        if ticket is None:
            return 404
        self.ticket_id = ticket.pk
        return [office_group(ticket.office_id)]

    def render(self, message):
        if message.get("ticket") == self.ticket_id:
            return "ticket", message.get("kind") or ""
        return QUEUE, ""  # another ticket moved: say only that the queue did


def _follow_ticket(kwargs) -> Ticket | None:
    try:
        return selectors.ticket_get_by_follow_token(kwargs["token"])
    except Ticket.DoesNotExist:
        return None


# Routed under /push/ by config/asgi.py. Staff streams read the session and user (Channels'
# AuthMiddlewareStack: the session cookie, as the pages).
urlpatterns = [
    path("screen/<slug:code>/", ScreenStream.as_asgi()),
    path("office/<int:office_id>/", AuthMiddlewareStack(OfficeStream.as_asgi())),
    path("counter/<int:counter_id>/", AuthMiddlewareStack(CounterStream.as_asgi())),
    path("ticket/<str:token>/", TicketStream.as_asgi()),
]
