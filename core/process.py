"""Process start-up shared by the web workers (config/wsgi.py) and the Celery worker processes
(config/celery.py), and by bench/pdfs.py, which measures the PDFs in a process set up the same
way."""

import gc

# Allocations (minus deallocations) between two young-generation collections: 700 by default.
# A PDF makes tens of thousands of objects that live until it is written, so at 700 they were
# walked again and again (180 young and 2 full collections per 10 booking confirmations, 11 ms
# a confirmation); at 10,000, 9 and none (3 ms). Cyclic garbage waits a little longer.
GC_YOUNG_THRESHOLD = 10_000


def settle_garbage_collector() -> None:
    """Load what every request or task needs anyway (the URLconf, and through it every view and
    what the views import: the printouts; and WeasyPrint), then move every object alive (about
    180,000) out of the cyclic garbage collector's reach with gc.freeze, which is meant for
    objects that live as long as the process: without it each full collection walks them all
    again (about 100 ms here), paid by whichever request triggers it (22 ms on average per
    booking confirmation in bench/pdfs.py). Then collect the young generation less often."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - imports the URLconf and the views
    # WeasyPrint, which core/pdf.py leaves to a process's first PDF (other processes, such as
    # manage.py's commands, need not pay about 0.5 s of CPU for it): these make PDFs.
    import core.pdf_engine  # noqa: F401
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(GC_YOUNG_THRESHOLD, middle, old)
