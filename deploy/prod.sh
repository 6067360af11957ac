#!/usr/bin/env bash
# `make prod`: the production stack on this machine, in the foreground (Ctrl-C stops it all).
# gunicorn (gthread) + the push server (uvicorn) + Celery worker(s) + Celery beat under supervisor (deploy/supervisord.conf),
# which restarts whatever dies and keeps the rest serving, against DATABASE_URL (PostgreSQL),
# CELERY_BROKER_URL and CACHE_URL (Redis), DEBUG=0, static files by whitenoise.
# Every variable of README "Configuration" may be set in the environment; docs/deploy.md
# explains how to spread the same processes over many machines.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
SECRETS_FILE=${PROD_SECRETS_FILE:-.env.prod}

# Secrets: made once into a gitignored file, then read at every start.
$PY deploy/prod_setup.py secrets "$SECRETS_FILE"
set -a
# shellcheck disable=SC1090
source "$SECRETS_FILE"
set +a

export DJANGO_SETTINGS_MODULE=config.settings
export DEBUG=0
export DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/onewindow}
export CELERY_BROKER_URL=${CELERY_BROKER_URL:-redis://127.0.0.1:6379/0}
# Rate limits count in this cache, shared by every process (the start-up check refuses a
# per-process cache with DEBUG=0).
export CACHE_URL=${CACHE_URL:-rediscache://127.0.0.1:6379/1}
export CELERY_TASK_ALWAYS_EAGER=false
export WEB_BIND=${WEB_BIND:-127.0.0.1}
export PORT=${PORT:-8000}
export ALLOWED_HOSTS=${ALLOWED_HOSTS:-127.0.0.1,localhost}
export SITE_URL=${SITE_URL:-http://127.0.0.1:$PORT}
export BEAT_SCHEDULE_FILE=${BEAT_SCHEDULE_FILE:-var/celerybeat-schedule}
export WORKER_PROCESSES=${WORKER_PROCESSES:-1}
# Pushed updates (docs/deploy.md "Pushed updates"): the push server on PUSH_PORT; without a proxy
# in front, pages reach it at PUSH_URL (its own port); Redis pub/sub carries the messages.
export PUSH_PORT=${PUSH_PORT:-8001}
export PUSH_REDIS_URL=${PUSH_REDIS_URL:-redis://127.0.0.1:6379/0}
export PUSH_URL=${PUSH_URL-http://$WEB_BIND:$PUSH_PORT}
# supervisord's configuration, socket, pid file and log
# (.venv/bin/supervisorctl -c var/run/supervisord.conf status).
export ONEWINDOW_RUN_DIR=${ONEWINDOW_RUN_DIR:-$PWD/var/run}
mkdir -p "$(dirname "$BEAT_SCHEDULE_FILE")" "$ONEWINDOW_RUN_DIR"
# Demo signing keys made by an older release inside the private uploads (and so inside the
# media backup) move to their own directory (KEYS_DIR, default keys/).
if [ -z "${KEYS_DIR:-}" ] && [ -d private/signing ] && [ ! -e keys/signing ]; then
	mkdir -p -m 0700 keys && mv private/signing keys/signing
	echo "[prod] moved the demo signing keys from private/signing to keys/signing (out of the media backup)"
fi
# Behind a TLS-terminating proxy keep the HTTPS redirect (the default of the settings). A
# local run over plain http turns it off: PROD_LOCAL_HTTP=1 (the default of `make prod`).
if [ "${PROD_LOCAL_HTTP:-1}" = "1" ]; then
	export SECURE_SSL_REDIRECT=0
	echo "[prod] PROD_LOCAL_HTTP=1: no redirect to https (plain http on $WEB_BIND:$PORT)."
	echo "[prod]   Behind a TLS proxy run: make prod PROD_LOCAL_HTTP=0"
fi

$PY deploy/prod_setup.py createdb "$DATABASE_URL"
$PY manage.py migrate --noinput -v 0
$PY manage.py compilemessages --ignore=.venv --ignore=node_modules -v 0
$PY manage.py collectstatic --noinput -v 0
if ! $PY manage.py shell -v 0 -c "import sys; from services.models import Office; sys.exit(0 if Office.objects.exists() else 3)"; then
	echo "[prod] empty database: loading the demo city (seed_demo)"
	$PY manage.py seed_demo --quiet
fi
# The start-up checks (shared cache, SECRET_KEY, personal-data keys) and Django's deployment
# checklist: any error stops here, before a process starts (each process checks again).
$PY manage.py check --deploy --fail-level ERROR

echo "[prod] OneWindow (production settings) on http://$WEB_BIND:$PORT/  database ${DATABASE_URL%%\?*}  broker $CELERY_BROKER_URL"
echo "[prod] health: http://$WEB_BIND:$PORT/healthz  http://$WEB_BIND:$PORT/readyz"
echo "[prod] push server (screens, boards, ticket pages): http://$WEB_BIND:$PUSH_PORT/push/  pages use ${PUSH_URL:-the same address}"
$PY deploy/prod_setup.py supervisor "$ONEWINDOW_RUN_DIR/supervisord.conf"
echo "[prod] processes: .venv/bin/supervisorctl -c $ONEWINDOW_RUN_DIR/supervisord.conf status"
exec .venv/bin/supervisord -c "$ONEWINDOW_RUN_DIR/supervisord.conf"
