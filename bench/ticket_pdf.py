"""How long a resident at the kiosk waits for the 80 mm ticket PDF (`make bench-ticket-pdf`).

In one run, in one process, the same way the kiosk's view makes it (queues.printouts.ticket_pdf,
through core.pdf.render_to_pdf: WeasyPrint, PDF/UA-1, fonts subset and embedded):
1. the ticket PDF of a walk-in with priority (every line of the receipt, the QR code);
2. a one-line PDF in the same font (Noto Sans CJK SC) through the same function
   (core.pdf.html_to_pdf: the same renderer, options and fonts kept per thread): the floor of
   any PDF in this font.
Each is made once to warm up (fonts loaded, caches filled), then `--rounds` times alternately;
the script prints the median and p95 wall time and CPU time of each and the ratio of the medians
(target: the ticket within 2x the one-line PDF). No database: the ticket is built in memory.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from common import appending, machine, percentile  # noqa: E402

ONE_LINE = """<!DOCTYPE html><html lang="zh-Hans"><head><meta charset="utf-8"><title>一行</title>
<style>@page { size: 80mm 20mm; margin: 4mm; }
html { font-family: "Noto Sans CJK SC", sans-serif; font-size: 9pt; }</style></head>
<body><p>请留意屏幕叫号 Watch the screen</p></body></html>"""


def _ticket():
    import datetime as dt

    from django.utils import timezone

    from queues.models import Ticket
    from services.models import Office, Service

    office = Office(code="bench", name_zh="定王台派出所", name_en="Dingwangtai Police Station")
    service = Service(code="bench", name_zh="居民身份证换领", name_en="Renew a resident ID card")
    return Ticket(
        office=office, service=service, day=dt.date.today(), letter="A", number=12,
        status="called", priority=True, priority_reason="age", arrived_at=timezone.now(),
        follow_token="bench-follow-token-0123456789abcdef",
    )  # fmt: skip


def _one_line() -> bytes:
    from core.pdf import html_to_pdf

    return html_to_pdf(ONE_LINE)


def _timed(make) -> tuple[float, float, int]:
    wall, cpu = time.perf_counter(), time.process_time()
    size = len(make())
    return time.perf_counter() - wall, time.process_time() - cpu, size


def _line(name: str, rows: list[tuple[float, float, int]]) -> float:
    walls = sorted(r[0] for r in rows)
    cpus = sorted(r[1] for r in rows)
    median = statistics.median(walls)
    print(
        f"{name:16} n={len(rows):3}  wall median {median * 1000:7.1f} ms  "
        f"p95 {percentile(walls, 95) * 1000:7.1f} ms  CPU median "
        f"{statistics.median(cpus) * 1000:7.1f} ms  size {rows[-1][2] / 1024:6.1f} KiB"
    )
    return median


def run(rounds: int) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from queues.printouts import ticket_pdf

    ticket = _ticket()
    make_ticket = lambda: ticket_pdf(ticket)  # noqa: E731
    print(f"[bench] {machine()}")
    first_ticket, first_line = _timed(make_ticket), _timed(_one_line)
    print(f"first (cold):    ticket {first_ticket[0] * 1000:.0f} ms, "
          f"one line {first_line[0] * 1000:.0f} ms")  # fmt: skip
    tickets, lines = [], []
    for _ in range(rounds):
        tickets.append(_timed(make_ticket))
        lines.append(_timed(_one_line))
    ticket_ms = _line("80 mm ticket", tickets)
    line_ms = _line("one-line PDF", lines)
    ratio = ticket_ms / line_ms
    print(f"ratio ticket / one line (medians): {ratio:.2f} (target <= 2)")
    return 0 if ratio <= 2 else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--append", metavar="PATH", help="add the figures to PATH (RESULTS.md)")
    args = parser.parse_args()
    with appending(args.append, "bench/ticket_pdf.py", "postgres://postgres@127.0.0.1:5432"):
        return run(args.rounds)


if __name__ == "__main__":
    sys.exit(main())
