"""Django's cached_db sessions, whose cache read also brings the signed-in staff member's
standing (accounts/staff_context.py): one cache round trip per staff request instead of two.

The standing's keys are the session's own (`staff-ctx:<session key>`) and the user's
generation token (`staff-ctx-gen:<user id>`). The user id is known only once the session is
read, so this process remembers, for the sessions it has already seen signed in, whose they
are (`remember_user`); for those the read is one MGET of the session and both keys. The
middleware uses what was fetched only when the session still belongs to that user, and reads
the keys itself otherwise (a session this process has not seen yet, or any doubt), exactly as
before. Nothing is stored in the session: its format and every other engine stay as they were.
"""

from django.conf import settings
from django.contrib.sessions.backends import cached_db

# Session key -> user id, for the sessions seen signed in here. Bounded: cleared when full (a
# cleared entry only costs that session one more round trip on its next request).
_OWNERS: dict[str, int] = {}
OWNERS_MAX = 20_000


def remember_user(session_key: str, user_id: int) -> None:
    if _OWNERS.get(session_key) == user_id:
        return
    if len(_OWNERS) >= OWNERS_MAX:
        _OWNERS.clear()
    _OWNERS[session_key] = user_id


def forget_session(session_key: str | None) -> None:
    if session_key:
        _OWNERS.pop(session_key, None)


class SessionStore(cached_db.SessionStore):
    """cached_db's store; `prefetched` is (user id, {key: value found}) when the read brought
    that user's standing keys along, else None."""

    prefetched: tuple[int, dict] | None = None

    def load(self):
        from .staff_context import standing_keys

        user_id = _OWNERS.get(self.session_key or "")
        if user_id is None or settings.SESSION_CACHE_ALIAS != "default":
            return super().load()
        keys = standing_keys(self.session_key, user_id)
        try:
            found = self._cache.get_many([self.cache_key, *keys])
        except Exception:  # as cached_db: an unusable key or cache reads from the database
            return super().load()
        data = found.pop(self.cache_key, None)
        if data is None:
            return super().load()
        self.prefetched = (user_id, found)
        return data

    def cycle_key(self):
        forget_session(self.session_key)
        self.prefetched = None
        super().cycle_key()

    def flush(self):
        forget_session(self.session_key)
        self.prefetched = None
        super().flush()
