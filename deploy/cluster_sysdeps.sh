#!/usr/bin/env bash
# `make cluster` needs HAProxy and PgBouncer from Debian. Installs the missing ones with apt-get;
# Debian's packages enable (and on a systemd machine start) their own system services — HAProxy
# with /etc/haproxy/haproxy.cfg, PgBouncer on port 6432 — which the cluster does not use: it runs
# its own instances on free ports (deploy/cluster.py). So for each package installed *here*, its
# service is stopped and disabled; a package that was already installed is left alone, and
# PostgreSQL and Redis are never touched. Exit status 3: they cannot be installed (no root, no
# network), so the callers can skip with a clear message.
set -uo pipefail
missing=()
for package in haproxy pgbouncer; do
	dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	if ! sudo -n true 2>/dev/null; then
		echo "[cluster] ${missing[*]} missing and no root to install them" >&2
		exit 3
	fi
	SUDO="sudo -n"
fi
echo "[cluster] installing ${missing[*]} (apt-get)"
if ! { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
	--no-install-recommends "${missing[@]}"; }; then
	echo "[cluster] could not install ${missing[*]}" >&2
	exit 3
fi
for service in "${missing[@]}"; do
	if [ -d /run/systemd/system ]; then
		$SUDO systemctl disable --now "$service" >/dev/null 2>&1 || true
	elif [ -x "/etc/init.d/$service" ]; then
		$SUDO "/etc/init.d/$service" stop >/dev/null 2>&1 || true
	fi
	echo "[cluster] $service installed; its system service is stopped and disabled (the cluster runs its own)"
done
