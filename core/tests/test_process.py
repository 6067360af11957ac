"""A web worker's start-up (config/wsgi.py, core/process.py): the views loaded, what is loaded
frozen out of the garbage collector's rounds, the young generation collected less often. The
PDFs a resident waits for were measured in a process set up this way (bench/pdfs.py)."""

import json
import os
import subprocess
import sys
from pathlib import Path

from core.process import GC_YOUNG_THRESHOLD

ROOT = Path(__file__).resolve().parents[2]


def test_a_web_worker_freezes_the_views_and_django_out_of_the_collectors_rounds():
    code = (
        "import gc, json, sys; import config.wsgi; "
        "print(json.dumps([gc.get_freeze_count(), gc.get_threshold()[0], "
        "'queues.printouts' in sys.modules, 'weasyprint' in sys.modules]))"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "DEBUG": "1"}
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    frozen, young, printouts_loaded, weasyprint_loaded = json.loads(done.stdout.splitlines()[-1])
    assert frozen > 50_000  # Django, the apps and the views: left out of every collection
    assert young == GC_YOUNG_THRESHOLD
    assert printouts_loaded and weasyprint_loaded  # loaded before the freeze, not at a request
