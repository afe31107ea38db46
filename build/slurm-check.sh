#!/bin/bash
# Slurm for real (make slurm-check): installs Debian's Slurm and MUNGE if missing, starts a one-node cluster on
# loopback (munged, slurmctld, slurmd, all under a throwaway folder), submits a 2-shard job array of the smoke suite
# through the scripts `peftbench plan --emit slurm` writes, waits, and checks that the merged results equal a
# single-process run of the same cells (same keys, bit-identical metrics and parameter counts; timings excluded).
# Stops everything it started. Needs root (package install, daemons).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/peftbench-slurm.XXXXXX)
host=$(hostname -s)
export SLURM_CONF="$work/slurm.conf"
pids=()
cleanup() {
  set +e
  command -v scancel >/dev/null && scancel --quiet --full --user root 2>/dev/null
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  for f in slurmd.pid slurmctld.pid munged.pid; do [ -f "$work/$f" ] && kill "$(cat "$work/$f")" 2>/dev/null; done
  sleep 1
  echo "slurm-check: stopped the cluster; logs in $work"
}
trap cleanup EXIT

if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v munged >/dev/null; then
  echo "slurm-check: installing slurmctld slurmd slurm-client munge (Debian)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q slurmctld slurmd slurm-client munge >/dev/null
fi

mkdir -p "$work/munge" "$work/state" "$work/spool" "$work/jobs"
dd if=/dev/urandom of="$work/munge/munge.key" bs=1024 count=1 status=none
chmod 700 "$work/munge"; chmod 400 "$work/munge/munge.key"
munged --force --key-file="$work/munge/munge.key" --socket="$work/munge/munge.socket" \
  --pid-file="$work/munged.pid" --log-file="$work/munged.log" --seed-file="$work/munge/seed"

cat > "$SLURM_CONF" <<CONF
ClusterName=peftbench
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=16817
SlurmdPort=16818
AuthType=auth/munge
AuthInfo=socket=$work/munge/munge.socket
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/slurmctld.log
SlurmdLogFile=$work/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
NodeName=$host NodeAddr=127.0.0.1 CPUs=$(nproc) RealMemory=4000 State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF

slurmctld -f "$SLURM_CONF"
slurmd -f "$SLURM_CONF"
for _ in $(seq 1 60); do sinfo -h -o %T 2>/dev/null | grep -q idle && break; sleep 1; done
sinfo

cd "$repo"
dotnet build Bench.sln -c Release -v q -nologo >/dev/null
run=(dotnet run --project harness -c Release --no-build --)
matrix=(--suite glue --tasks glue/sst2,glue/rte --methods lora,bitfit --profile smoke --threads 1)

echo "slurm-check: single-process reference run"
"${run[@]}" "${matrix[@]}" --out "$work/single" >"$work/single.log"

echo "slurm-check: 2-shard job array through peftbench plan --emit slurm"
"${run[@]}" plan "${matrix[@]}" --shards 2 --cpus-per-task 1 --time 00:20:00 --emit slurm --out-dir "$work/jobs" --out "$work/sharded"
bash "$work/jobs/submit.sh"
for _ in $(seq 1 600); do [ -z "$(squeue -h -o %i)" ] && break; sleep 2; done
squeue
echo "--- shard logs"; tail -n 3 "$work"/jobs/logs/*.out

python3 - "$work/single" "$work/sharded" "$work/jobs/logs/report.out" <<'PY'
import json, sys, glob, os
def cells(d):
    out = {}
    for f in glob.glob(os.path.join(d, "cells", "*.json")):
        c = json.load(open(f))
        out[c["key"]] = (c["status"], c.get("metrics"), c.get("parameters"))
    return out
a, b = cells(sys.argv[1]), cells(sys.argv[2])
assert a, "the single-process run wrote no cells"
assert sorted(a) == sorted(b), f"different cells: single {sorted(a)} sharded {sorted(b)}"
diff = [k for k in a if a[k] != b[k]]
assert not diff, f"cells differ: {diff}"
assert os.path.exists(sys.argv[3]) and "results.md" in open(sys.argv[3]).read(), "the report job did not run after the shards"
print(f"slurm-check: PASS: {len(a)} cells from 2 Slurm shards equal the single-process run (metrics and parameter counts bit for bit); the report job merged them")
PY
