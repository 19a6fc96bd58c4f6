#!/usr/bin/env bash
# Whole-job side by side: trustdd (examples/whole_job.rs) and PyTorch
# (benches/reference/whole_job_torch.py) run the jobs a user runs, as whole processes, in
# alternating order, each at two lengths; the difference of the two wall times divided by the
# difference of the lengths is the per-unit figure (start-up, data loading and the final test
# pass cancel). Prints trustdd, PyTorch, the speed ratio, the fraction of the fp32 peak and the
# peak RSS of each side. See docs/performance.md.
#
# Usage: benches/reference/whole_job.sh [ROUNDS]            (default 1 round)
# Environment:
#   PYTHON      python with torch (default python3; without torch the PyTorch columns are "-")
#   JOBS        default "eval_epoch dm_iteration tad_round"
#   SHAPES      default "1x28x28 3x32x32"   (1x28x28 is Fashion-MNIST from $TRUSTDD_DATA,
#                                            3x32x32 class-structured images, see whole_job.rs)
#   WIDTHS      default "32 128"
#   TAD_IMAGES  images of the TAD round at width 32 (default 60000), TAD_IMAGES_WIDE at other
#               widths (default 5000: a width-128 round on 60k images takes minutes per run)
#   PEAK_GFLOPS fp32 peak of the machine (default: 2 FMA units x 16 fp32 lanes x 2 flops x the
#               clock of /proc/cpuinfo x nproc: AVX-512 with two full-width FMA pipes, as Zen 5
#               and Sapphire Rapids have)
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=${1:-1}
PYTHON=${PYTHON:-python3}
JOBS=${JOBS:-"eval_epoch dm_iteration tad_round"}
SHAPES=${SHAPES:-"1x28x28 3x32x32"}
WIDTHS=${WIDTHS:-"32 128"}
TAD_IMAGES=${TAD_IMAGES:-60000}
TAD_IMAGES_WIDE=${TAD_IMAGES_WIDE:-5000}
MHZ=$(grep -m1 'cpu MHz' /proc/cpuinfo | cut -d: -f2 | xargs | cut -d. -f1)
PEAK_GFLOPS=${PEAK_GFLOPS:-$((64 * ${MHZ:-2000} * $(nproc) / 1000))}
export TRUSTDD_DATA=${TRUSTDD_DATA:-$(cd .. && pwd)/shared/data}
cargo build --release --example whole_job >&2
BIN=target/release/examples/whole_job
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
LOG=$WORK/log
echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs) (family $(grep -m1 'cpu family' /proc/cpuinfo | cut -d: -f2 | xargs)) at ${MHZ:-?} MHz, fp32 peak $PEAK_GFLOPS GFLOP/s; load: $(uptime | sed 's/.*load average: //')"
"$PYTHON" -c "import torch; print('torch', torch.__version__, 'threads', torch.get_num_threads())" 2>/dev/null ||
    echo "SKIP pytorch: $PYTHON cannot import torch; PyTorch columns stay empty"

# The two lengths of each job: long enough at each width that the difference stands well above
# the run-to-run spread of PyTorch's start-up (about half a second).
lengths() {
    case $1-$2 in
        eval_epoch-32) echo "50 250" ;;
        eval_epoch-*) echo "10 60" ;;
        dm_iteration-32) echo "5 30" ;;
        dm_iteration-*) echo "2 12" ;;
        tad_round-*) echo "1 2" ;;
    esac
}

# One timed process: appends "side job shape width length seconds peak_kib".
timed() {
    local side=$1 job=$2 shape=$3 width=$4 length=$5 data=$6
    shift 6
    local t
    t=$( { /usr/bin/time -f "%e %M" "$@" --job "$job" --data "$data" --width "$width" \
        --length "$length" >/dev/null; } 2>&1 | tail -1)
    echo "$side $job $shape $width $length $t" | tee -a "$LOG" >&2
}

for shape in $SHAPES; do
    for images in $TAD_IMAGES $TAD_IMAGES_WIDE; do
        "$BIN" --write-data "$WORK/$shape-$images.bin" --shape "$shape" --images "$images"
    done
    [ "$shape" = 3x32x32 ] && "$BIN" --write-data "$WORK/$shape-50000.bin" --shape "$shape" --images 50000
done
for round in $(seq "$ROUNDS"); do
    for job in $JOBS; do
        for shape in $SHAPES; do
            for width in $WIDTHS; do
                images=$TAD_IMAGES
                [ "$job" = tad_round ] && [ "$width" != 32 ] && images=$TAD_IMAGES_WIDE
                # DM and evaluation draw from a dataset of the usual size.
                [ "$job" != tad_round ] && [ "$shape" = 3x32x32 ] && images=50000
                [ "$job" = tad_round ] && [ "$shape" = 3x32x32 ] && [ "$width" = 32 ] && images=50000
                data="$WORK/$shape-$images.bin"
                for length in $(lengths "$job" "$width"); do
                    if "$PYTHON" -c "import torch" 2>/dev/null; then
                        timed pytorch "$job" "$shape" "$width" "$length" "$data" \
                            "$PYTHON" benches/reference/whole_job_torch.py
                    fi
                    timed trustdd "$job" "$shape" "$width" "$length" "$data" "$BIN"
                done
            done
        done
    done
done
echo "load after: $(uptime | sed 's/.*load average: //')"
python3 - "$LOG" "$PEAK_GFLOPS" "$TAD_IMAGES" "$TAD_IMAGES_WIDE" <<'PY'
import collections, statistics, sys
log, peak, tad_n, tad_wide = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
runs = collections.defaultdict(list)  # (side, job, shape, width) -> [(length, secs, kib)]
for line in open(log):
    side, job, shape, width, length, secs, kib = line.split()
    runs[(side, job, shape, int(width))].append((int(length), float(secs), int(kib)))

def forward_flops(shape, width, classes=10):
    """Multiply-adds x 2 of one ConvNet-3 forward pass (conv 3x3, then a pool halving)."""
    c, h, _ = (int(v) for v in shape.split("x"))
    s = h + 4 if h == 28 else h  # the first convolution pads 28x28 by 3 (32x32 out)
    total, cin = 0, c
    for _ in range(3):
        total += 2 * cin * 9 * width * s * s
        cin, s = width, s // 2
    return total + 2 * width * s * s * classes

def images(job, shape, width):
    """Images per unit: the set, the real + synthetic batches, or the TAD data (as written above)."""
    if job == "eval_epoch":
        return 100
    if job == "dm_iteration":
        return 740
    if shape == "3x32x32" and width == 32:
        return 50000
    return tad_n if width == 32 else tad_wide

def unit_flops(job, shape, width):
    f, n = forward_flops(shape, width), images(job, shape, width)
    if job == "eval_epoch":  # forward, input and weight gradients
        return n * 3 * f
    if job == "dm_iteration":  # 10 classes x (64 real forward + 10 synthetic forward + input grad)
        return 10 * (64 * f + 10 * 2 * f)
    return n * (2 * 3 * f + f)  # two views forward + backward (upper bound), one loss/feature pass

def per_unit(side, job, shape, width):
    rows = runs.get((side, job, shape, width))
    if not rows:
        return None, None
    by_len = collections.defaultdict(list)
    for length, secs, _ in rows:
        by_len[length].append(secs)
    (l1, s1), (l2, s2) = sorted((l, statistics.median(v)) for l, v in by_len.items())
    return (s2 - s1) / (l2 - l1), max(k for _, _, k in rows) / 1024

unit = {"eval_epoch": "s/epoch", "dm_iteration": "s/iter", "tad_round": "s/round"}
print(f"{'job':<13}{'shape':<9}{'width':>6}{'images':>8}{'trustdd':>10}{'pytorch':>10}{'speed-up':>9}"
      f"{'% peak':>8}{'trustdd MiB':>12}{'pytorch MiB':>12}  unit")
for job in ["eval_epoch", "dm_iteration", "tad_round"]:
    for shape in ["1x28x28", "3x32x32"]:
        for width in [32, 128]:
            ours, our_mib = per_unit("trustdd", job, shape, width)
            if ours is None:
                continue
            theirs, their_mib = per_unit("pytorch", job, shape, width)
            n = images(job, shape, width)
            pct = 100 * unit_flops(job, shape, width) / 1e9 / ours / peak if ours > 0 else float("nan")
            cell = lambda v, fmt: format(v, fmt) if v is not None else "-"
            ratio = f"{theirs / ours:.2f}x" if theirs and ours > 0 else "-"
            print(f"{job:<13}{shape:<9}{width:>6}{n:>8}{ours:>10.3f}{cell(theirs, '10.3f'):>10}{ratio:>9}"
                  f"{pct:>7.0f}%{our_mib:>12.0f}{cell(their_mib, '12.0f'):>12}  {unit[job]}")
PY
