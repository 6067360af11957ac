"""gunicorn's gthread worker, taking new connections only while it has a thread free.

    gunicorn config.wsgi:application --worker-class config.web_worker.ThreadWorker …

Every worker waits on the same listening socket. gunicorn's gthread worker accepts whatever
arrives (up to `--worker-connections`, 1,000) and queues the requests on its own few threads,
however busy they are: the worker that wakes first takes a whole burst of connections while
the others sleep. Measured with `make bench-queue` (bench/RESULTS.md, issue 16): 19 of 20
clerks' connections on one of four workers, whose two threads then served 570 of the 600
console actions of the open loop; the clerks' first presses waited 0.8-2.8 s for a thread
while the server spent 30-100 ms on each. With `--keep-alive`, a connection stays with the
worker that took it.

This worker stops accepting while every one of its threads has a request (running or queued)
and starts again when one is done: a connection that arrives meanwhile waits in the kernel's
queue for a worker with a free thread, as with gunicorn's sync workers. Requests on the
connections it already holds are still queued on its threads as before.

A connection is handed to the workers only once its first request has arrived (Linux's
TCP_DEFER_ACCEPT, nginx's `listen … deferred`): gthread gives a new connection a thread that
waits up to 5 s for its first bytes, so connections opened ahead of use (a browser's
preconnect, a client's pool) held the threads while requests that had arrived waited.
"""

import socket

from gunicorn.workers.gthread import DEFAULT_WORKER_DATA_TIMEOUT
from gunicorn.workers.gthread import ThreadWorker as GThreadWorker


class ThreadWorker(GThreadWorker):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.in_flight = 0  # requests handed to the thread pool and not finished yet

    def init_process(self) -> None:
        defer = getattr(socket, "TCP_DEFER_ACCEPT", None)  # Linux only
        for listener in self.sockets:
            if defer is not None and listener.family in (socket.AF_INET, socket.AF_INET6):
                # Seconds a connection may stay silent before it is handed over all the same.
                listener.setsockopt(socket.IPPROTO_TCP, defer, int(DEFAULT_WORKER_DATA_TIMEOUT))
        super().init_process()

    def _has_free_thread(self) -> bool:
        return self.in_flight < self.cfg.threads

    def set_accept_enabled(self, enabled: bool) -> None:
        # The main loop asks for accepting whenever the connection limit allows it.
        super().set_accept_enabled(enabled and self._has_free_thread())

    def enqueue_req(self, conn) -> None:
        # Runs on the main loop's thread (accept, a kept-alive connection readable, a request
        # read ahead), as does finish_request: no lock needed for the count.
        self.in_flight += 1
        super().enqueue_req(conn)
        if not self._has_free_thread():
            self.set_accept_enabled(False)

    def finish_request(self, conn, fs) -> None:
        self.in_flight -= 1
        super().finish_request(conn, fs)
        if self.alive and self.nr_conns < self.worker_connections:
            self.set_accept_enabled(True)
