#!/usr/bin/env bash
# One production process in the foreground: `deploy/run.sh web|push|worker [NAME]|beat`.
# The process manager (supervisor for `make prod`: deploy/supervisord.conf; systemd on real
# machines: deploy/systemd/) starts it, restarts it when it dies and signals it directly (exec:
# no shell stays in between). The same command lines everywhere, tuned by the environment:
#   web     WEB_BIND (127.0.0.1) PORT (8000) WEB_WORKERS (2) WEB_THREADS (4)
#           WEB_MAX_REQUESTS (2000; 0: never recycle a worker) WEB_MAX_REQUESTS_JITTER (200)
#   push    PUSH_BIND (WEB_BIND) PUSH_PORT (8001) PUSH_WORKERS (1): the pushed updates' streams
#   worker  WORKER_CONCURRENCY (2); NAME makes the Celery node name NAME@host (default worker)
#   beat    as many as you like: one holds the lock in Redis and sends, the others wait
# With DEBUG=0 each refuses to start on an unsafe configuration (core/checks.py).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${VENV:-.venv}/bin

case "${1:-}" in
web)
	# Prometheus multiprocess mode (core/metrics.py): each gunicorn worker writes its counts to
	# files here and /metrics adds them up; emptied at each start (the counts start again).
	export PROMETHEUS_MULTIPROC_DIR=${PROMETHEUS_MULTIPROC_DIR:-${ONEWINDOW_RUN_DIR:-var}/prometheus-web}
	rm -rf "$PROMETHEUS_MULTIPROC_DIR" && mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
	# gthread workers that take a connection only with a thread free (config/web_worker.py);
	# keep nodes x workers x threads below PostgreSQL's max_connections.
	exec "$BIN/gunicorn" config.wsgi:application \
		--bind "${WEB_BIND:-127.0.0.1}:${PORT:-8000}" \
		--worker-class config.web_worker.ThreadWorker --workers "${WEB_WORKERS:-2}" --threads "${WEB_THREADS:-4}" \
		--timeout 30 --graceful-timeout 30 --keep-alive 5 \
		--max-requests "${WEB_MAX_REQUESTS:-2000}" --max-requests-jitter "${WEB_MAX_REQUESTS_JITTER:-200}" \
		--access-logfile - --log-level info
	;;
push)
	# The push server: uvicorn serving config/asgi.py, of which the proxy sends it only /push/
	# (docs/deploy.md "Pushed updates"). Thousands of open streams per process, idle but for a
	# comment every 20 s; messages come through Redis pub/sub (PUSH_REDIS_URL). Open streams
	# end at a stop after 5 s: browsers reconnect to another node, or poll meanwhile.
	exec "$BIN/uvicorn" config.asgi:application \
		--host "${PUSH_BIND:-${WEB_BIND:-127.0.0.1}}" --port "${PUSH_PORT:-8001}" \
		--workers "${PUSH_WORKERS:-1}" --lifespan off --backlog 4096 \
		--timeout-graceful-shutdown 5 --log-level info
	;;
worker)
	# Any number of them, on any node. -O fair: a long task never holds back short ones.
	# No mingle or gossip: nothing here revokes tasks or asks the other workers, and a
	# restarted worker is ready a second sooner (no waiting for its neighbours' replies).
	exec "$BIN/celery" -A config worker --loglevel INFO -n "${2:-worker}@%h" \
		--concurrency "${WORKER_CONCURRENCY:-2}" --max-tasks-per-child 500 -O fair \
		--without-mingle --without-gossip
	;;
beat)
	# The scheduler and its lock come from the settings (CELERY_BEAT_SCHEDULER: celery-redbeat
	# with a Redis broker); the schedule file is used only by Celery's default scheduler.
	schedule=${BEAT_SCHEDULE_FILE:-var/celerybeat-schedule}
	mkdir -p "$(dirname "$schedule")"
	exec "$BIN/celery" -A config beat --loglevel INFO --schedule "$schedule"
	;;
*)
	echo "usage: $0 web|push|worker [NAME]|beat" >&2
	exit 2
	;;
esac
