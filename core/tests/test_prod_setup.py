"""`make prod`'s preparation (deploy/prod_setup.py): secrets made once, never overwritten."""

import base64
import importlib.util
import stat

from django.conf import settings

spec = importlib.util.spec_from_file_location(
    "prod_setup", settings.BASE_DIR / "deploy" / "prod_setup.py"
)
prod_setup = importlib.util.module_from_spec(spec)
spec.loader.exec_module(prod_setup)


def read_env(path) -> dict[str, str]:
    lines = [line for line in path.read_text().splitlines() if line and not line.startswith("#")]
    return dict(line.split("=", 1) for line in lines)


def test_secrets_are_generated_once_readable_by_the_owner_only(tmp_path):
    path = tmp_path / ".env.prod"
    assert prod_setup.write_secrets(path) is True
    first = read_env(path)
    assert set(first) == {"SECRET_KEY", "FIELD_ENCRYPTION_KEYS", "PII_HMAC_KEY"}
    assert len(first["SECRET_KEY"]) >= 50
    assert len(base64.b64decode(first["FIELD_ENCRYPTION_KEYS"])) == 32
    assert len(base64.b64decode(first["PII_HMAC_KEY"])) == 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600

    assert prod_setup.write_secrets(path) is False  # kept: the stored ID numbers need them
    assert read_env(path) == first


def test_supervisor_runs_web_workers_and_one_beat_and_restarts_them(tmp_path):
    """The rendered configuration of `make prod`: each program restarts when it dies, and
    all run deploy/run.sh (the systemd units' command lines)."""
    import configparser

    out = tmp_path / "supervisord.conf"
    prod_setup.render_supervisor(out, {"ONEWINDOW_RUN_DIR": str(tmp_path), "WORKER_PROCESSES": "2"})
    conf = configparser.RawConfigParser(inline_comment_prefixes=None)
    conf.read(out)
    programs = {s.split(":", 1)[1]: conf[s] for s in conf.sections() if s.startswith("program:")}
    assert set(programs) == {"web", "push", "worker", "beat"}
    for name, program in programs.items():
        assert program["autorestart"] == "true"
        assert program["command"].split()[:2] == [f"{settings.BASE_DIR}/deploy/run.sh", name]
    assert programs["worker"]["numprocs"] == "2"
    assert "numprocs" not in programs["beat"]  # and the lock in Redis makes a second one wait
    assert conf["unix_http_server"]["file"] == f"{tmp_path}/supervisor.sock"


def test_a_missing_value_of_the_supervisor_template_is_an_error(tmp_path):
    import pytest

    with pytest.raises(KeyError, match="WORKER_PROCESSES"):
        prod_setup.render_supervisor(tmp_path / "s.conf", {"ONEWINDOW_RUN_DIR": str(tmp_path)})


UNITS = settings.BASE_DIR / "deploy" / "systemd"


def test_every_systemd_unit_restarts_its_process_with_the_command_line_of_make_prod():
    import configparser

    roles = {"onewindow-web.service": "web", "onewindow-worker@.service": "worker",
             "onewindow-beat.service": "beat", "onewindow-push.service": "push"}  # fmt: skip
    for unit, role in roles.items():
        conf = configparser.RawConfigParser(strict=False)
        conf.optionxform = str
        conf.read(UNITS / unit)
        service = conf["Service"]
        assert service["ExecStart"].split()[:2] == ["/srv/onewindow/deploy/run.sh", role]
        assert (service["Restart"], service["RestartSec"]) == ("always", "2")
        assert conf["Install"]["WantedBy"] == "onewindow.target"
    web = configparser.RawConfigParser(strict=False)
    web.optionxform = str
    web.read(UNITS / "onewindow-web.service")
    assert "check --deploy --fail-level ERROR" in web["Service"]["ExecStartPre"]


def test_the_systemd_units_pass_systemd_analyze_verify(tmp_path):
    """The templates with this checkout's paths, as an operator installs them."""
    import shutil
    import subprocess

    import pytest

    if not shutil.which("systemd-analyze"):
        pytest.skip("needs systemd-analyze (Debian systemd)")
    (tmp_path / "onewindow.env").write_text("DEBUG=0\n")
    for unit in UNITS.iterdir():
        text = (
            unit.read_text()
            .replace("/srv/onewindow", str(settings.BASE_DIR))
            .replace("/etc/onewindow/onewindow.env", str(tmp_path / "onewindow.env"))
            .replace("=onewindow\n", "=root\n")  # User=, Group=: a user that exists here
        )
        (tmp_path / unit.name.replace("@.", "@1.")).write_text(text)
    units = sorted(str(p) for p in tmp_path.iterdir() if p.suffix in (".service", ".target"))
    result = subprocess.run(
        ["systemd-analyze", "verify", *units], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0 and "ignoring" not in result.stderr, result.stderr
