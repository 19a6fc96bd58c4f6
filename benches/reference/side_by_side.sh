#!/usr/bin/env bash
# ConvNet-3 throughput and peak memory: trustdd (fast kernels; optionally stock candle) and
# PyTorch CPU, in alternating runs on the same machine, with the ratio per workload.
#
# Usage: benches/reference/side_by_side.sh [ROUNDS [RUNS]]      (defaults: 3 rounds, 5 runs)
# Environment: PYTHON (default python3; needs torch, else the PyTorch rows are skipped),
#              STOCK=1 also measures the stock candle ops once (slow: minutes),
#              SHAPES="3x32x32 1x28x28", WORKLOADS="forward forward_backward dm_step" (defaults;
#              dm_iteration is the fourth workload).
# Each round runs, per shape and workload, PyTorch then trustdd; a workload's figure is the
# median over rounds of the per-run medians, its memory the largest peak RSS. See
# docs/performance.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=${1:-3}
RUNS=${2:-5}
PYTHON=${PYTHON:-python3}
LOG=$(mktemp)
cargo build --release --no-default-features --example perf_side_by_side >&2
BIN=target/release/examples/perf_side_by_side
echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); load: $(uptime | sed 's/.*load average: //')"
SHAPES=${SHAPES:-"3x32x32 1x28x28"}
WORKLOADS=${WORKLOADS:-"forward forward_backward dm_step"}
# One process per (side, shape, workload): the peak RSS is then that workload's alone (an
# allocator keeps freed memory, which a reset of VmHWM would count).
for round in $(seq "$ROUNDS"); do
    for shape in $SHAPES; do
        for workload in $WORKLOADS; do
            echo "round $round/$ROUNDS $shape $workload" >&2
            "$PYTHON" benches/reference/convnet_torch.py --runs "$RUNS" --shape "$shape" \
                --workload "$workload" | tee -a "$LOG" >&2
            "$BIN" --runs "$RUNS" --shape "$shape" --workload "$workload" | tee -a "$LOG" >&2
        done
    done
done
if [ "${STOCK:-0}" = 1 ]; then
    for shape in $SHAPES; do
        for workload in $WORKLOADS; do
            "$BIN" --stock --runs 3 --shape "$shape" --workload "$workload" | tee -a "$LOG" >&2
        done
    done
fi
echo "load after: $(uptime | sed 's/.*load average: //')"
python3 - "$LOG" <<'PY'
import collections, statistics, sys
rows = collections.defaultdict(lambda: ([], []))
for line in open(sys.argv[1]):
    if line.startswith("SKIP"):
        print(line.strip())
    if not line.startswith("RESULT"):
        continue
    f = dict(kv.split("=", 1) for kv in line.split()[1:])
    kind = "pytorch" if f["impl"].startswith("pytorch") else f["impl"]
    speeds, mems = rows[(f["workload"], f["shape"], kind)]
    speeds.append(float(f["img_per_s"]))
    mems.append(float(f["peak_rss_mib"]))
keys = sorted({(w, s) for w, s, _ in rows}, key=lambda k: (k[1], k[0]))
def fig(w, s, kind):
    if (w, s, kind) not in rows:
        return None, None
    speeds, mems = rows[(w, s, kind)]
    return statistics.median(speeds), max(mems)
print(f"{'workload':<17}{'shape':<9}{'stock img/s':>12}{'fast img/s':>11}{'torch img/s':>12}"
      f"{'fast/torch':>11}{'fast MiB':>9}{'torch MiB':>10}{'stock MiB':>10}")
for w, s in keys:
    st, stm = fig(w, s, "candle-stock")
    fa, fam = fig(w, s, "candle-fast")
    to, tom = fig(w, s, "pytorch")
    cell = lambda v, fmt: format(v, fmt) if v is not None else "-"
    ratio = f"{fa / to:.2f}x" if fa and to else "-"
    print(f"{w:<17}{s:<9}{cell(st, '12.1f'):>12}{cell(fa, '11.1f'):>11}{cell(to, '12.1f'):>12}"
          f"{ratio:>11}{cell(fam, '9.0f'):>9}{cell(tom, '10.0f'):>10}{cell(stm, '10.0f'):>10}")
PY
rm -f "$LOG"
