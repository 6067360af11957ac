#!/bin/sh
# Instructions per render of the PDFs of bench/pdfs.py, counted by callgrind: unlike CPU time,
# they do not depend on what else the machine runs. The process is set up as bench/pdfs.py's
# (core.process.settle_garbage_collector); each PDF is made once uncounted, then ROUNDS times
# between two callgrind client requests (a 3-line C helper, compiled here, called via ctypes).
# Needs valgrind, its headers (valgrind/callgrind.h) and a C compiler. About 5 minutes.
# Usage: bench/pdfs_callgrind.sh [ROUNDS]
set -eu
rounds=${1:-3}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat >"$work/cg.c" <<'C'
#include <valgrind/callgrind.h>
void cg_start(void) { CALLGRIND_ZERO_STATS; CALLGRIND_START_INSTRUMENTATION; }
void cg_dump(const char *name) { CALLGRIND_STOP_INSTRUMENTATION; CALLGRIND_DUMP_STATS_AT(name); }
C
cc -O1 -shared -fPIC -o "$work/libcg.so" "$work/cg.c"
cat >"$work/run.py" <<'PY'
import ctypes, os, sys
root, lib, rounds = sys.argv[1], ctypes.CDLL(sys.argv[2]), int(sys.argv[3])
sys.path[:0] = [root, root + "/bench"]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
import django
django.setup()
from core.process import settle_garbage_collector
settle_garbage_collector()
import pdfs
makers = pdfs._makers()
for make in makers.values():
    make()
for index, (name, make) in enumerate(makers.items()):
    lib.cg_start()
    for _ in range(rounds):
        make()
    lib.cg_dump(f"{index}:{name}".encode())
PY
cd "$work"
PYTHONHASHSEED=0 valgrind --tool=callgrind --instr-atstart=no \
    "$root/.venv/bin/python" run.py "$root" "$work/libcg.so" "$rounds" >log 2>&1
for file in $(grep -l "Trigger: Client Request" callgrind.out.*); do
    printf '%s\t%s\n' "$(sed -n 's/^desc: Trigger: Client Request: //p' "$file")" \
        "$(sed -n 's/^totals: //p' "$file")"
done | sort | awk -F '\t' -v n="$rounds" '
    NR == 1 { floor = $2 / n }
    { printf "%-16s %8.1f M instructions per render, ratio to the one line %.2f\n",
        substr($1, 3), $2 / n / 1e6, $2 / n / floor }'
