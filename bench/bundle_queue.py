"""What the 一件事 clause costs the queue rule (issue 19): a counter's "call next" statement
(`queues.selectors.queue._next_query`, THE order with SELECT … FOR UPDATE SKIP LOCKED) with
the bundle clause, against the same statement without it, in one run on one database.

It creates a fresh PostgreSQL database (`--db`, dropped afterwards), migrates it, gives one
office two services, a counter serving both and `--tickets` waiting walk-in tickets (plus
`--bundle-tickets` tickets of a bundle of the two services), then runs both statements
alternately `--rounds` times each under EXPLAIN (ANALYZE) and reports PostgreSQL's own
execution time (median, p95): measured inside the server, side by side, so the ratio holds
while others load the machine.

    .venv/bin/python bench/bundle_queue.py [--tickets 1500] [--rounds 300]
"""

import argparse
import os
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import admin_sql, machine, utc_now  # noqa: E402

PG = "postgres://postgres@127.0.0.1:5432"


def _data(tickets: int, bundle_tickets: int):
    import datetime as dt

    from django.utils import timezone

    from queues.models import Ticket
    from services.models import Bundle, BundlePart
    from services.tests.factories import (
        CategoryFactory,
        CounterFactory,
        OfficeFactory,
        ServiceFactory,
    )

    first = ServiceFactory(category=CategoryFactory(ticket_letter="A"), materials=0)
    second = ServiceFactory(category=CategoryFactory(ticket_letter="B"), materials=0)
    office = OfficeFactory(services=[first, second])
    counter = CounterFactory(office=office, services=[first, second])
    bundle = Bundle.objects.create(code="bench", name_zh="一件事", name_en="Bundle")
    BundlePart.objects.create(bundle=bundle, service=first, position=0)
    BundlePart.objects.create(bundle=bundle, service=second, position=1)
    now = timezone.now()
    rows = [
        Ticket(office=office, service=(first, second)[i % 2], day=timezone.localdate(now),
               letter="A", number=i + 1, arrived_at=now - dt.timedelta(seconds=tickets - i),
               follow_token=f"t{i}", bundle=bundle if i < bundle_tickets else None)
        for i in range(tickets + bundle_tickets)
    ]
    Ticket.objects.bulk_create(rows)
    return counter, now


def _without_bundle_clause(**values):
    """The statement as it was before issue 19's bundle clause."""
    from django.db.models import Q

    from queues.models import Ticket
    from queues.selectors import queue
    from services.models import Counter
    from services.selectors import counter_service_ids

    counter = Counter(pk=values["counter_id"], office_id=values["office_id"],
                      serves_all=values["serves_all"])
    waiting = Ticket.objects.filter(
        office_id=values["office_id"], day=values["day"], status="waiting"
    ).filter(Q(target_counter=counter)
             | Q(target_counter__isnull=True, service_id__in=counter_service_ids(counter)))
    ordered = queue._in_order(waiting, due=values["due"])
    return ordered.select_for_update(skip_locked=True, of=("self",)).values_list("pk")[:1]


def _execution_ms(queryset) -> float:
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        sql, params = queryset.query.sql_with_params()
        cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}", params)
        return float(cursor.fetchone()[0][0]["Execution Time"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1500)
    parser.add_argument("--bundle-tickets", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--db", default="bench_bundle_queue_bundle")
    args = parser.parse_args()
    admin_sql(PG, f'DROP DATABASE IF EXISTS "{args.db}"')
    admin_sql(PG, f'CREATE DATABASE "{args.db}"')
    os.environ["DATABASE_URL"] = f"{PG}/{args.db}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    try:
        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate", verbosity=0)
        from queues.selectors import queue

        counter, now = _data(args.tickets, args.bundle_tickets)
        values = {**queue._shape(counter), **queue._params(counter, now)}
        shapes = {"with the bundle clause": queue._next_query(**values),
                  "without it (before)": _without_bundle_clause(**values)}
        from django.db import transaction

        with transaction.atomic():  # the same first ticket either way (no bundle ticket first)
            assert list(shapes["with the bundle clause"]) == list(shapes["without it (before)"])
        times: dict[str, list[float]] = {name: [] for name in shapes}
        for _round in range(args.rounds):
            for name, queryset in shapes.items():
                times[name].append(_execution_ms(queryset))
        load = os.getloadavg()[0]
        print(f"{utc_now()} · {machine(PG)} · load average {load:.1f}")
        print(f"{args.tickets} waiting tickets + {args.bundle_tickets} of a bundle, "
              f"{args.rounds} rounds, PostgreSQL execution time of call-next's statement:")
        medians = {}
        for name, found in times.items():
            found.sort()
            medians[name] = statistics.median(found)
            print(f"  {name:26} median {medians[name]:.3f} ms · "
                  f"p95 {found[int(len(found) * .95) - 1]:.3f} ms")
        ratio = medians["with the bundle clause"] / medians["without it (before)"]
        print(f"  ratio (with / without): {ratio:.2f}")
    finally:
        from django.db import connections

        connections.close_all()
        admin_sql(PG, f'DROP DATABASE IF EXISTS "{args.db}"')


if __name__ == "__main__":
    main()
