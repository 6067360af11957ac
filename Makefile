# OneWindow — `make run` serves the demo, `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= /usr/bin/python3
VENV := .venv
PY := $(VENV)/bin/python
export DJANGO_SETTINGS_MODULE ?= config.settings
SYS_PACKAGES := fonts-noto-cjk libharfbuzz-subset0 gettext python3-venv
TEST_SYS_PACKAGES := $(SYS_PACKAGES) chromium poppler-utils
# `make test` runs pytest on TEST_WORKERS pytest-xdist workers (0: none). One more than the
# cores: the browser and real-process tests spend much of their time waiting on a browser, a
# server or a clock, and with one worker per core the two cores here were busy about half the
# time (bench/RESULTS.md, issue 15: 4m59s with 2 workers, 3m58s with 3, quiet machine).
TEST_WORKERS ?= $(shell echo $$(( $$(nproc) + 1 )))
# `make run HOST=… PORT=…`: links in SMS, e-mail, PDFs and QR codes follow them (SITE_URL).
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: lock run prod bench test lint sysdeps sysdeps-test messages compilemessages migrate seed clean screenshots bench-booking bench-floor bench-queue bench-stats bench-ticket-pdf cluster cluster-stop cluster-sysdeps bench-cluster cluster-check bench-screens bench-pdf bench-pdf-callgrind

run: sysdeps $(VENV)/.installed compilemessages
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	@echo ""
	@echo "  OneWindow is running at http://$(HOST):$(PORT)/"
	@echo "  Admin: http://$(HOST):$(PORT)/zh-hans/admin/  user: admin  password: onewindow-admin"
	@echo "  Staff: http://$(HOST):$(PORT)/zh-hans/staff/  demo staff and their TOTP secrets: see the table above"
	@echo "  SMS and e-mail are printed below ([SMS to 139****5678] …) and listed in the admin: Notifications > Outbox."
	@echo "  The periodic jobs of config/celery.py (waiting-list offers, reminders, no-shows, ratings) run in this process."
	@echo ""
	HOST=$(HOST) PORT=$(PORT) $(PY) manage.py devserver $(HOST):$(PORT)

# The production stack here: gunicorn + Celery worker(s) + Celery beat under supervisor against
# PostgreSQL and Redis, DEBUG=0 (deploy/prod.sh; docs/deploy.md for many machines).
prod: sysdeps $(VENV)/.installed
	bash deploy/prod.sh

# The suite keeps compiled modules (PYTHONDONTWRITEBYTECODE unset for pytest): each worker
# imports every test module, and without them pytest rewrites and compiles their asserts again
# in every worker and run (2-3 CPU s per worker; bench/RESULTS.md, session 25).
test: sysdeps-test $(VENV)/.installed-dev compilemessages
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy
	$(PY) manage.py makemigrations --check --dry-run
	PYTHONDONTWRITEBYTECODE= DJANGO_ALLOW_ASYNC_UNSAFE=true $(VENV)/bin/pytest -n $(TEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .

# apt-get only for what is missing, so a machine that has everything needs no network or root.
define apt_install_missing
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "Installing system packages:$$missing"; \
		SUDO=""; [ "$$(id -u)" -ne 0 ] && SUDO=sudo; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi
endef

sysdeps:
	$(call apt_install_missing,$(SYS_PACKAGES))

sysdeps-test:
	$(call apt_install_missing,$(TEST_SYS_PACKAGES))

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip

$(VENV)/.installed: $(VENV)/bin/python requirements.txt
	$(VENV)/bin/pip install -q --require-hashes -r requirements.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(VENV)/bin/pip install -q --require-hashes -r requirements-dev.txt
	touch $@

# .po files are committed; the compiled .mo files are built here and never committed.
# Pin every package, with its hashes, from requirements.in and requirements-dev.in (pip-tools).
# Installs then run in pip's hash-checking mode. Add a package to a .in file, then `make lock`.
lock: $(VENV)/.installed-dev
	$(VENV)/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links -o requirements.txt requirements.in
	$(VENV)/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links -o requirements-dev.txt requirements-dev.in

compilemessages: $(VENV)/.installed
	$(PY) manage.py compilemessages --ignore=.venv --ignore=node_modules -v 0

# Refresh the .po files after changing strings (then translate and commit them).
messages: $(VENV)/.installed
	$(PY) manage.py makemessages -l zh_Hans -l en --ignore=.venv --ignore=staticfiles --no-obsolete
	$(PY) manage.py makemessages -d djangojs -l zh_Hans -l en --ignore=.venv --ignore=staticfiles --ignore=static/vendor --no-obsolete

# Release-day rush against gunicorn on a fresh PostgreSQL database (see bench/RESULTS.md).
bench-booking: $(VENV)/.installed
	$(PY) bench/booking_rush.py $(BENCH_ARGS)

# The floor under the rush targets: the cheapest guarded booking next to /healthz (RESULTS.md).
bench-floor: $(VENV)/.installed
	$(PY) bench/booking_floor.py $(BENCH_ARGS)

# Clerks calling, starting and finishing in parallel through the console (see bench/RESULTS.md).
bench-queue: $(VENV)/.installed
	$(PY) bench/queue_calls.py $(BENCH_ARGS)

# 1,000 screens and phones on pushed updates: a call's commit to every stream, idle requests
# (gunicorn + the uvicorn push server + Redis pub/sub; see bench/RESULTS.md).
bench-screens: $(VENV)/.installed-dev
	$(PY) bench/screens_push.py $(BENCH_ARGS)

# The PDFs a resident waits for (the kiosk's 80 mm ticket, booking confirmation, certificate)
# against a one-line PDF in the same font (bench/pdfs.py; see bench/RESULTS.md): the cold renders,
# and the downloads as the views serve them (stored copies; a throwaway test database).
bench-pdf bench-ticket-pdf: $(VENV)/.installed-dev
	$(PY) bench/pdfs.py $(BENCH_ARGS)

# The same PDFs in instructions per render (callgrind): figures the machine's load does not move.
bench-pdf-callgrind: $(VENV)/.installed
	bench/pdfs_callgrind.sh

# Every benchmark in bench/ against the production settings; figures appended to bench/RESULTS.md.
bench: $(VENV)/.installed
	$(PY) bench/run_all.py $(BENCH_ARGS)
# The statistics dashboard on a generated year of a 12-office city (see bench/RESULTS.md).
bench-stats: $(VENV)/.installed
	$(PY) bench/stats_dashboard.py $(BENCH_ARGS)

screenshots: $(VENV)/.installed-dev
	DJANGO_ALLOW_ASYNC_UNSAFE=true $(VENV)/bin/pytest e2e --screenshots

clean:
	rm -rf $(VENV) staticfiles db.sqlite3 db.sqlite3-* media

# A real multi-node run on this machine (docs/deploy.md "The cluster"): HAProxy probing /readyz,
# three gunicorn web nodes, PgBouncer (transaction pooling) before PostgreSQL, two Celery workers
# and a beat, on the machine's Redis. Foreground; Ctrl-C or `make cluster-stop` stops it all.
cluster: sysdeps cluster-sysdeps $(VENV)/.installed
	$(PY) deploy/cluster.py run

cluster-stop:
	$(PY) deploy/cluster.py stop

cluster-sysdeps:
	@bash deploy/cluster_sysdeps.sh

# A release rush through the balancer, waiting room on then off, a web node and a worker killed
# (SIGKILL) midway (bench/cluster_rush.py; a few minutes here; figures in bench/RESULTS.md).
bench-cluster: cluster-sysdeps $(VENV)/.installed compilemessages
	$(PY) bench/cluster_rush.py $(BENCH_ARGS)

# The short cluster check of CI (about 20 s; 30 s when the migrations changed since the last run,
# see bench/cluster_rush.py SCHEMA_CACHE): skipped with a message without HAProxy or PgBouncer
# (not installable here) or PostgreSQL/Redis.
cluster-check: $(VENV)/.installed compilemessages
	@bash deploy/cluster_sysdeps.sh; rc=$$?; \
	if [ $$rc -eq 3 ]; then echo "cluster check skipped: HAProxy/PgBouncer cannot be installed here"; \
	else $(PY) bench/cluster_rush.py --check $(BENCH_ARGS); fi
