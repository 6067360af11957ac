"""The cluster's configuration templates (deploy/*.template, rendered by deploy/cluster.py) and the
settings for PgBouncer's transaction pooling. The running cluster is exercised by
`make cluster-check` (bench/cluster_rush.py --check) in .ci/run."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "deploy"))

from cluster import Cluster  # noqa: E402


def _cluster(tmp_path: Path) -> Cluster:
    cluster = Cluster(
        run_dir=tmp_path, database_url="postgres://postgres@127.0.0.1:5432/onewindow", env={}
    )
    tmp_path.mkdir(exist_ok=True)
    return cluster


def test_pgbouncer_configuration_pools_transactions_in_front_of_postgresql(tmp_path):
    cluster = _cluster(tmp_path)
    from cluster import render

    render("pgbouncer.ini.template", tmp_path / "pgbouncer.ini", {
        "DB_HOST": "127.0.0.1", "DB_PORT": 5432, "LISTEN": "127.0.0.1", "PORT": 6543,
        "AUTH_TYPE": "trust", "AUTH_FILE": tmp_path / "users.txt", "POOL_SIZE": 20,
        "RESERVE_POOL": 5, "MAX_CLIENTS": 2000,
    })  # fmt: skip
    text = (tmp_path / "pgbouncer.ini").read_text()
    assert "pool_mode = transaction" in text
    assert "listen_port = 6543" in text and "default_pool_size = 20" in text
    # The nodes talk to PgBouncer, with the same database and user.
    cluster.pgbouncer_port = 6543
    assert cluster.pooled_url == "postgres://postgres@127.0.0.1:6543/onewindow"
    env = cluster.node_env()
    assert env["DB_TRANSACTION_POOLING"] == "1" and env["TRUSTED_PROXIES"] == "127.0.0.1/32"


HAPROXY = shutil.which("haproxy") or (
    "/usr/sbin/haproxy" if Path("/usr/sbin/haproxy").exists() else ""
)


@pytest.mark.skipif(not HAPROXY, reason="needs haproxy (make cluster-sysdeps) to check it")
def test_haproxy_configuration_is_valid_and_probes_readyz(tmp_path):
    from cluster import render

    servers = "    server web1 127.0.0.1:9001 check\n    server web2 127.0.0.1:9002 check"
    out = tmp_path / "haproxy.cfg"
    render("haproxy.cfg.template", out, {
        "RUN_DIR": tmp_path, "BIND": "127.0.0.1", "PORT": 9000, "SERVERS": servers,
        "CHECK_INTER": "500ms", "CHECK_HOST": "127.0.0.1", "NODE_MAXCONN": 16,
        "ROOM_SERVERS": servers.replace(" check", " track web/web1").replace(
            "9002 track web/web1", "9002 track web/web2"
        ),
        "ROOM_API_PATHS": "/api/v1/bookings/", "ROOM_MAXCONN": 2,
        "ROOM_RULE": "use_backend room if room_api METH_POST !room_turn",
        "LOG_TARGET": "stdout format raw local0",
    })  # fmt: skip
    checked = subprocess.run([HAPROXY, "-c", "-f", str(out)], capture_output=True, text=True)  # noqa: S603
    assert checked.returncode == 0, checked.stdout + checked.stderr
    text = out.read_text()
    assert "option httpchk GET /readyz" in text and "option forwardfor" in text


@pytest.mark.parametrize("pooling, expected", [("1", "True"), ("0", "False")])
def test_transaction_pooling_turns_off_server_side_cursors(pooling, expected):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DB_TRANSACTION_POOLING": pooling,
        "DATABASE_URL": "postgres://postgres@127.0.0.1:6543/onewindow",
    }
    code = (
        "from django.conf import settings; "
        "print(settings.DATABASES['default'].get('DISABLE_SERVER_SIDE_CURSORS', False))"
    )
    out = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == expected
