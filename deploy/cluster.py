"""`make cluster`: a real multi-node OneWindow on this machine (docs/deploy.md "The cluster").

    python deploy/cluster.py run     prepare the database, start everything, Ctrl-C stops it all
    python deploy/cluster.py stop    stop a cluster started by `run` (from another terminal)

What runs, each process in a session of its own, configuration rendered into CLUSTER_RUN_DIR
(var/cluster) from the templates that real machines use:

- PgBouncer (deploy/pgbouncer.ini.template) in transaction pooling mode in front of PostgreSQL;
- CLUSTER_WEB_NODES (3) web nodes: `deploy/run.sh web`, gunicorn on ports of their own, talking
  to PostgreSQL through PgBouncer (DB_TRANSACTION_POOLING=1);
- HAProxy (deploy/haproxy.cfg.template) on CLUSTER_PORT (8300), probing /readyz on each node;
- CLUSTER_WORKERS (2) Celery workers and one beat (`deploy/run.sh worker|beat`);
- Redis and PostgreSQL are the machine's own (CLUSTER_DATABASE_URL, CLUSTER_REDIS_URL): never
  started, stopped or reconfigured here.

Production settings (DEBUG=0); secrets generated once into CLUSTER_RUN_DIR/secrets.env. Nothing
restarts a process that dies here (the benchmark kills some on purpose): on real machines
systemd does (deploy/systemd/). bench/cluster_rush.py drives the same class.
"""

import argparse
import contextlib
import csv
import http.client
import io
import json
import os
import pwd
import shutil
import signal
import socket
import string
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
HOST = "127.0.0.1"
PY = sys.executable


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((HOST, port)) == 0


def wait_for(condition, timeout: float, what: str, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise RuntimeError(f"timed out after {timeout:g} s waiting for {what}")


def http_status(port: int, path: str, timeout: float = 2.0) -> int:
    try:
        conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
        conn.request("GET", path)
        status = conn.getresponse().status
        conn.close()
        return status
    except OSError:
        return 0


def render(template: str, out: Path, values: dict) -> None:
    text = string.Template((DEPLOY / template).read_text()).substitute(values)
    out.write_text(text)
    out.chmod(0o644)


def missing_tools() -> list[str]:
    return [tool for tool in ("haproxy", "pgbouncer") if not _tool(tool)]


def _tool(name: str) -> str | None:
    return shutil.which(name) or next(
        (str(p) for p in (Path("/usr/sbin") / name, Path("/sbin") / name) if p.exists()), None
    )


class Cluster:
    """Starts and stops the processes; `env` is the nodes' environment (DEBUG=0 settings)."""

    def __init__(
        self,
        *,
        run_dir: Path,
        database_url: str,
        env: dict,
        port: int | None = None,
        web_nodes: int = 3,
        workers: int = 2,
        web_workers: int = 2,
        web_threads: int = 4,
        worker_concurrency: int = 1,
        pool_size: int = 20,
        check_inter: str = "500ms",
        room_maxconn: int = 0,
    ) -> None:
        self.run_dir = run_dir
        self.database_url = database_url
        self.env = env
        self.port = port or free_port()
        self.web_nodes, self.workers = web_nodes, workers
        self.web_workers, self.web_threads = web_workers, web_threads
        self.worker_concurrency, self.pool_size = worker_concurrency, pool_size
        self.check_inter = check_inter
        # The waiting room's arrivals and polls at once per node through a backend of their own
        # (deploy/haproxy.cfg.template); 0: no such backend, they share `web` with the rest.
        self.room_maxconn = room_maxconn
        self.pgbouncer_port = free_port()
        self.node_ports = {f"web{n + 1}": free_port() for n in range(web_nodes)}
        self.processes: dict[str, subprocess.Popen] = {}
        self._logs: list = []

    # --- the nodes' database address: PgBouncer's port, the same database and user -----------
    @property
    def pooled_url(self) -> str:
        parts = urlsplit(self.database_url)
        netloc = parts.netloc.rsplit("@", 1)
        auth = netloc[0] + "@" if len(netloc) == 2 else ""
        return urlunsplit(parts._replace(netloc=f"{auth}{HOST}:{self.pgbouncer_port}"))

    def node_env(self, **extra: str) -> dict:
        return {
            **self.env,
            "DATABASE_URL": self.pooled_url,
            "DB_TRANSACTION_POOLING": "1",
            "TRUSTED_PROXIES": "127.0.0.1/32",
            "SITE_URL": self.env.get("SITE_URL", f"http://{HOST}:{self.port}"),
            "BEAT_SCHEDULE_FILE": str(self.run_dir / "celerybeat-schedule"),
            **extra,
        }

    def _spawn(self, name: str, command: list[str], env: dict | None = None) -> None:
        log = open(self.run_dir / f"{name}.log", "ab")  # noqa: SIM115 - open while it runs
        self._logs.append(log)
        self.processes[name] = subprocess.Popen(  # noqa: S603 - our own commands
            command, cwd=ROOT, env=env or self.node_env(), stdout=log, stderr=log,
            start_new_session=True,
        )  # fmt: skip

    # --- start ---------------------------------------------------------------------------------
    def start(self) -> None:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.run_dir.chmod(0o755)
        self.start_pgbouncer()
        # Everything boots at once (each process imports Django for a second or two of CPU):
        # the workers are ready by the time the balancer sends the first request.
        for name, port in self.node_ports.items():
            self.start_web(name, port)
        for n in range(self.workers):
            self._spawn(f"worker{n + 1}", ["bash", "deploy/run.sh", "worker", f"worker{n + 1}"],
                        self.node_env(WORKER_CONCURRENCY=str(self.worker_concurrency)))  # fmt: skip
        self._spawn("beat", ["bash", "deploy/run.sh", "beat"])
        # HAProxy counts a server up until its checks fail: it starts once the nodes answer.
        for name, port in self.node_ports.items():
            wait_for(lambda p=port: http_status(p, "/readyz") == 200, 90, f"{name} /readyz")
        self.start_haproxy()
        wait_for(lambda: self.backend_up() == set(self.node_ports), 30, "HAProxy: all nodes up")

    def start_pgbouncer(self) -> None:
        user = urlsplit(self.database_url).username or "postgres"
        parts = urlsplit(self.database_url)
        auth = self.run_dir / "pgbouncer-users.txt"
        auth.write_text(f'"{user}" ""\n')
        auth.chmod(0o644)
        render("pgbouncer.ini.template", self.run_dir / "pgbouncer.ini", {
            "DB_HOST": parts.hostname or HOST, "DB_PORT": parts.port or 5432,
            "LISTEN": HOST, "PORT": self.pgbouncer_port, "AUTH_TYPE": "trust",
            "AUTH_FILE": auth, "POOL_SIZE": self.pool_size, "RESERVE_POOL": 5,
            "MAX_CLIENTS": 2000,
        })  # fmt: skip
        command = [_tool("pgbouncer") or "pgbouncer", str(self.run_dir / "pgbouncer.ini")]
        if os.geteuid() == 0:  # PgBouncer refuses to run as root
            command[1:1] = ["-u", _unprivileged_user()]
        self._spawn("pgbouncer", command, dict(os.environ))
        wait_for(lambda: port_open(self.pgbouncer_port), 15, "PgBouncer")

    def start_web(self, name: str, port: int) -> None:
        env = self.node_env(
            PORT=str(port), WEB_BIND=HOST, WEB_WORKERS=str(self.web_workers),
            WEB_THREADS=str(self.web_threads),
        )  # fmt: skip
        self._spawn(name, ["bash", "deploy/run.sh", "web"], env)

    def start_haproxy(self) -> None:
        servers = "\n".join(
            f"    server {name} {HOST}:{port} check" for name, port in self.node_ports.items()
        )
        room_servers = "\n".join(
            f"    server {name} {HOST}:{port} track web/{name}"
            for name, port in self.node_ports.items()
        )
        config = self.run_dir / "haproxy.cfg"
        render("haproxy.cfg.template", config, {
            "RUN_DIR": self.run_dir, "BIND": HOST, "PORT": self.port, "SERVERS": servers,
            "ROOM_SERVERS": room_servers, "ROOM_API_PATHS": "/api/v1/bookings/",
            "ROOM_MAXCONN": self.room_maxconn or 1,
            "ROOM_RULE": "use_backend room if room_api METH_POST !room_turn"
            if self.room_maxconn else "# no room backend (CLUSTER_ROOM_MAXCONN=0)",
            "CHECK_INTER": self.check_inter, "CHECK_HOST": HOST,
            # As many requests at once as a node has threads: a request beyond that waits in
            # HAProxy's queue, ordered by its priority class, not in the node's accept queue.
            "NODE_MAXCONN": self.web_workers * self.web_threads,
            "LOG_TARGET": "stdout format raw local0",
        })  # fmt: skip
        haproxy = _tool("haproxy") or "haproxy"
        subprocess.run([haproxy, "-c", "-q", "-f", str(config)], check=True)  # noqa: S603
        self._spawn("haproxy", [haproxy, "-db", "-f", str(config)], dict(os.environ))
        wait_for(lambda: port_open(self.port), 15, "HAProxy")

    # --- HAProxy's view ------------------------------------------------------------------------
    def haproxy_stat(self) -> dict[str, str]:
        """Each web node's status as the balancer sees it (UP, DOWN, …)."""
        with socket.socket(socket.AF_UNIX) as sock:
            sock.settimeout(2)
            sock.connect(str(self.run_dir / "haproxy.sock"))
            sock.sendall(b"show stat\n")
            data = b""
            while chunk := sock.recv(65536):
                data += chunk
        rows = csv.DictReader(io.StringIO(data.decode().lstrip("# ")))
        return {
            r["svname"]: r["status"].split()[0]
            for r in rows
            if r["pxname"] == "web" and r["svname"] not in ("FRONTEND", "BACKEND")
        }

    def backend_up(self) -> set[str]:
        try:
            return {name for name, status in self.haproxy_stat().items() if status == "UP"}
        except OSError:
            return set()

    # --- stop ----------------------------------------------------------------------------------
    def kill(self, name: str) -> None:
        """SIGKILL to a process's whole group (the benchmark's fault)."""
        os.killpg(self.processes[name].pid, signal.SIGKILL)
        self.processes[name].wait()

    def stop(self, timeout: float = 20) -> None:
        order = ["haproxy", *self.node_ports, "beat"]
        order += [n for n in self.processes if n.startswith("worker")] + ["pgbouncer"]
        for name in order:
            process = self.processes.get(name)
            if process is not None and process.poll() is None:
                try:
                    os.killpg(process.pid, signal.SIGTERM)
                except ProcessLookupError:
                    continue
        deadline = time.monotonic() + timeout
        for process in self.processes.values():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        for log in self._logs:
            log.close()

    def describe(self) -> str:
        lines = [f"balancer  http://{HOST}:{self.port}/  (HAProxy, probes /readyz)"]
        lines += [f"{name:<9} http://{HOST}:{port}/" for name, port in self.node_ports.items()]
        lines.append(f"pgbouncer {HOST}:{self.pgbouncer_port} (transaction pooling, "
                     f"pool {self.pool_size}) -> {urlsplit(self.database_url).netloc}")  # fmt: skip
        lines.append(f"workers   {self.workers} Celery workers + 1 beat; logs in {self.run_dir}")
        return "\n".join(lines)


def _unprivileged_user() -> str:
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    raise RuntimeError("PgBouncer needs an unprivileged user to run as")


# --- `make cluster` ------------------------------------------------------------------------------


def prepare(database_url: str, env: dict, static: bool = True) -> None:
    """Create, migrate and seed the database (directly, not through PgBouncer); with `static`
    compile the messages and collect the static files (the pages need them, the API does not)."""
    sys.path.insert(0, str(DEPLOY))
    from prod_setup import create_database

    create_database(database_url)
    env = {**env, "DATABASE_URL": database_url}
    run = lambda *args: subprocess.run([PY, "manage.py", *args], cwd=ROOT, env=env, check=True)  # noqa: E731,S603
    run("migrate", "--noinput", "-v", "0")
    if static:
        run("compilemessages", "--ignore=.venv", "-v", "0")
        run("collectstatic", "--noinput", "-v", "0")
    seeded = subprocess.run(  # noqa: S603
        [PY, "manage.py", "shell", "-v", "0", "-c", "import sys; from services.models import "
         "Office; sys.exit(0 if Office.objects.exists() else 3)"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    if seeded.returncode == 3:
        run("seed_demo", "--quiet")


def base_env(run_dir: Path, port: int) -> dict:
    """Production settings for every node; the caller's environment wins."""
    sys.path.insert(0, str(DEPLOY))
    from prod_setup import write_secrets

    secrets_file = run_dir / "secrets.env"
    write_secrets(secrets_file)
    secrets = dict(
        line.split("=", 1) for line in secrets_file.read_text().splitlines()
        if line and not line.startswith("#")
    )  # fmt: skip
    redis = os.environ.get("CLUSTER_REDIS_URL", "redis://127.0.0.1:6379/0")
    cache = os.environ.get("CACHE_URL") or "rediscache" + redis[len("redis"):]
    return {
        **secrets,
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "0",
        "SECURE_SSL_REDIRECT": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SITE_URL": os.environ.get("SITE_URL", f"http://{HOST}:{port}"),
        "CELERY_BROKER_URL": redis,
        "CACHE_URL": cache,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "PYTHONWARNINGS": "ignore",
    }


def run(args) -> int:
    run_dir = Path(os.environ.get("CLUSTER_RUN_DIR", ROOT / "var" / "cluster")).resolve()
    run_dir.mkdir(parents=True, exist_ok=True)
    state = run_dir / "cluster.json"
    if state.exists() and _alive(json.loads(state.read_text())["pid"]):
        print(f"[cluster] already running (pid {json.loads(state.read_text())['pid']}); "
              "`make cluster-stop` first")  # fmt: skip
        return 1
    database_url = os.environ.get(
        "CLUSTER_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/onewindow_cluster"
    )
    port = int(os.environ.get("CLUSTER_PORT", "8300"))
    env = base_env(run_dir, port)
    print(f"[cluster] database {urlsplit(database_url).path.lstrip('/')}: migrate, seed if empty")
    prepare(database_url, env)
    cluster = Cluster(
        run_dir=run_dir, database_url=database_url, env=env,
        port=port,
        web_nodes=int(os.environ.get("CLUSTER_WEB_NODES", "3")),
        workers=int(os.environ.get("CLUSTER_WORKERS", "2")),
        web_workers=int(os.environ.get("CLUSTER_WEB_WORKERS", "2")),
        web_threads=int(os.environ.get("CLUSTER_WEB_THREADS", "4")),
        pool_size=int(os.environ.get("CLUSTER_POOL_SIZE", "20")),
        room_maxconn=int(os.environ.get("CLUSTER_ROOM_MAXCONN", "0")),
    )  # fmt: skip
    if port_open(cluster.port):
        print(f"[cluster] port {cluster.port} is taken: set CLUSTER_PORT")
        return 1
    stopping = []

    def on_signal(signum, frame):
        stopping.append(signum)

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        cluster.start()
        pids = {name: p.pid for name, p in cluster.processes.items()}
        state.write_text(json.dumps({"pid": os.getpid(), "groups": pids}))
        print(cluster.describe(), flush=True)
        print("[cluster] up; Ctrl-C (or `make cluster-stop`) stops everything", flush=True)
        reported: set[str] = set()
        while not stopping:
            for name, process in cluster.processes.items():
                if process.poll() is not None and name not in reported:
                    reported.add(name)
                    print(f"[cluster] {name} exited ({process.returncode}); see its log",
                          flush=True)  # fmt: skip
            time.sleep(0.5)
    finally:
        print("[cluster] stopping", flush=True)
        cluster.stop()
        state.unlink(missing_ok=True)
    return 0


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return True
    except OSError:
        return False


def _ours(pid: int) -> bool:
    """The process is still one this checkout started (its command line names the checkout)."""
    try:
        return str(ROOT).encode() in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def stop(args) -> int:
    run_dir = Path(os.environ.get("CLUSTER_RUN_DIR", ROOT / "var" / "cluster")).resolve()
    state = run_dir / "cluster.json"
    if not state.exists():
        print("[cluster] not running")
        return 0
    data = json.loads(state.read_text())
    if _alive(data["pid"]):
        os.kill(data["pid"], signal.SIGTERM)  # the runner stops its processes itself
        with contextlib.suppress(RuntimeError):
            wait_for(lambda: not _alive(data["pid"]), 40, "the cluster to stop", 0.2)
    for pid in data["groups"].values():  # whatever the runner could not stop, if still ours
        if _ours(pid):
            with contextlib.suppress(OSError):
                os.killpg(pid, signal.SIGKILL)
    state.unlink(missing_ok=True)
    print("[cluster] stopped")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["run", "stop"])
    args = parser.parse_args()
    if args.command == "run":
        missing = missing_tools()
        if missing:
            print(f"[cluster] missing: {', '.join(missing)} (make cluster installs them)")
            return 1
        return run(args)
    return stop(args)


if __name__ == "__main__":
    sys.exit(main())
