"""Django's PostgreSQL backend with a health check that costs no round trip while the
connection is idle and well (`ENGINE: core.postgresql`, set by config/settings.py for a
PostgreSQL DATABASE_URL).

With CONN_HEALTH_CHECKS, Django asks a persistent connection `SELECT 1` before the first query
of every request: one round trip more for every request that reads the database (a clerk's
console key made nine). Here the connection's socket is looked at first: a connection the
server (or PgBouncer) has closed or is closing reads as ready (the end of the stream, or the
error message sent before it), an idle healthy one has nothing to read. Only when something is
waiting there is the `SELECT 1` asked, and the connection closed if it fails, as Django does.
What this cannot see is a peer gone without a word (no FIN, no RST: a cut network); the
request's own first query then fails, where Django's `SELECT 1` would have waited as long.
"""

import select

from django.db.backends.postgresql.base import DatabaseWrapper as PostgresWrapper


class DatabaseWrapper(PostgresWrapper):
    def is_usable(self) -> bool:
        connection = self.connection
        if connection is None or connection.closed or connection.broken:
            return False
        if self.pool:
            return super().is_usable()
        try:
            poller = select.poll()
            poller.register(connection.pgconn.socket, select.POLLIN | select.POLLPRI)
            idle_and_well = not poller.poll(0)
        except (OSError, ValueError):  # no socket to look at: ask the server
            idle_and_well = False
        return idle_and_well or super().is_usable()
