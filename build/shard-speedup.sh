#!/bin/bash
# Speed-up of a 2-shard run over one shard on this machine (make shard-speedup). Runs the same matrix three ways,
# each into a fresh folder, and times the whole wall clock (process start-up and the report included):
#   A  one process, --threads 1                      (the one-shard reference)
#   B  two processes at once, --shard 1/2 and 2/2, --threads 1 each, sharing one results folder
#   C  one process, --threads 2                      (the other way to use two cores: intra-op threads)
# A and B run at the same thread count, so their cells must be identical (keys, metrics, parameter counts): the
# script checks it, then writes the figures to $OUT/shard-speedup.md. Run it on an otherwise idle machine.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
out=${PERF_OUT:-$repo/results/perf}
work=$(mktemp -d /tmp/peftbench-shards.XXXXXX)
export OMP_WAIT_POLICY=PASSIVE
cd "$repo"
dotnet build harness -c Release -v q -nologo >/dev/null
run=(dotnet harness/bin/Release/net10.0/peftbench.dll)
matrix=(--suite glue --profile ${SHARD_PROFILE:-ci} --seeds 0)

seconds() { python3 -c 'import sys,time; print(f"{time.time()-float(sys.argv[1]):.1f}")' "$1"; }

echo "shard-speedup: A: one process, 1 thread"
t=$(date +%s.%N); "${run[@]}" "${matrix[@]}" --threads 1 --out "$work/one" >"$work/one.log"; a=$(seconds "$t")
echo "shard-speedup: B: 2 shards at once, 1 thread each"
t=$(date +%s.%N)
"${run[@]}" "${matrix[@]}" --threads 1 --shard 1/2 --out "$work/two" >"$work/shard1.log" & p1=$!
"${run[@]}" "${matrix[@]}" --threads 1 --shard 2/2 --out "$work/two" >"$work/shard2.log" & p2=$!
wait $p1; wait $p2; b=$(seconds "$t")
"${run[@]}" report "$work/two" >/dev/null
echo "shard-speedup: C: one process, 2 threads"
t=$(date +%s.%N); "${run[@]}" "${matrix[@]}" --threads 2 --out "$work/threads2" >"$work/threads2.log"; c=$(seconds "$t")

mkdir -p "$out"
python3 - "$work/one" "$work/two" "$a" "$b" "$c" "$out/shard-speedup.md" "${matrix[*]}" <<'PY'
import json, sys, glob, os
one, two, a, b, c, path, matrix = sys.argv[1], sys.argv[2], *map(float, sys.argv[3:6]), sys.argv[6], sys.argv[7]
def cells(d):
    out = {}
    for f in glob.glob(os.path.join(d, "cells", "*.json")):
        r = json.load(open(f))
        out[r["key"]] = (r["status"], r.get("metrics"), r.get("parameters"))
    return out
x, y = cells(one), cells(two)
assert x and sorted(x) == sorted(y), "the two shards did not cover exactly the one-shard cells"
differ = [k for k in x if x[k] != y[k]]
assert not differ, f"cells differ between one shard and two: {differ}"
text = f"""# Speed-up of a 2-shard run over one shard

Matrix: `{matrix}` ({len(x)} cells), whole wall clock per variant (start-up, planning, training, report), this machine
({os.cpu_count()} cores), `OMP_WAIT_POLICY=PASSIVE`. `make shard-speedup` regenerates this file.

| variant | wall (s) | speed-up |
|---|---:|---:|
| A: one shard, 1 thread | {a:.1f} | 1.00× |
| B: two shards at once, 1 thread each | {b:.1f} | {a/b:.2f}× over A |
| C: one shard, 2 threads | {c:.1f} | {a/c:.2f}× over A; B is {c/b:.2f}× C |

A and B produced the same {len(x)} cells (keys, metrics and parameter counts bit for bit).
"""
open(path + ".tmp", "w").write(text); os.replace(path + ".tmp", path)
print(text)
PY
rm -rf "$work"
