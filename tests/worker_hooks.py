"""Loaded by the real Celery worker that tests/test_worker_kill.py starts (never by the
project): an SMS "gateway" that can hold a delivery until the test kills the worker, a
certificate renderer that can hold after rendering (tests/test_outbox_faults.py), and a task
that kills its own worker process every time (a poison message). Files in
ONEWINDOW_TEST_GATE_DIR tell the test what happened."""

import os
import signal
import time
from pathlib import Path

from celery import shared_task
from celery.signals import worker_process_init


def _gate() -> Path:
    return Path(os.environ["ONEWINDOW_TEST_GATE_DIR"])


class GatedSMSBackend:
    """While the file `hold` exists, a send writes its process id to `reached` and waits (the
    test kills that process there); otherwise it delivers: one line in `sent.log`."""

    def send(self, *, phone: str, text: str) -> None:
        gate = _gate()
        if (gate / "hold").exists():
            (gate / "reached").write_text(str(os.getpid()))
            time.sleep(60)
        with open(gate / "sent.log", "a", encoding="utf-8") as log:
            log.write(f"{os.getpid()} {phone} {' '.join(text.split())}\n")


@worker_process_init.connect
def _gate_certificate_pdf(**_kwargs) -> None:
    """In each pool process: while the file `hold-pdf` exists, a rendered certificate PDF
    writes the process id to `pdf-reached` and waits there (the test kills the process)."""
    from documents import certificate_pdf as module

    real = module.certificate_pdf

    def gated(*args, **kwargs):
        pdf = real(*args, **kwargs)
        gate = _gate()
        with open(gate / "pdf.log", "a", encoding="utf-8") as log:
            log.write(f"{os.getpid()}\n")
        if (gate / "hold-pdf").exists():
            (gate / "pdf-reached").write_text(str(os.getpid()))
            time.sleep(60)
        return pdf

    module.certificate_pdf = gated


@shared_task
def gateway_down() -> None:
    """An outbox consumer whose gateway refuses every time (and names a holder's ID number)."""
    with open(_gate() / "gateway.log", "a", encoding="utf-8") as log:
        log.write(f"{os.getpid()}\n")
    raise OSError("gateway refused the holder 110101199003077777")


@shared_task
def poison() -> None:
    with open(_gate() / "poison.log", "a", encoding="utf-8") as log:
        log.write(f"{os.getpid()}\n")
    os.kill(os.getpid(), signal.SIGKILL)
