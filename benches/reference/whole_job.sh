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
#   JOBS        default "eval_epoch dm_iteration tad_round"; the second-order jobs gm_step,
#               dc_iteration and mtt_iteration (slow) run when named, e.g.
#               JOBS="gm_step dc_iteration mtt_iteration"
#   LENGTHS     the two lengths of every job, overriding the table in lengths() (e.g. "1 2")
#   SYN_STEPS   student steps of mtt_iteration, one run (and one row, mtt_s$S) each
#               (default "10 20 40")
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
LENGTHS=${LENGTHS:-}
SYN_STEPS=${SYN_STEPS:-"10 20 40"}
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
# the run-to-run spread of PyTorch's start-up (about half a second). $LENGTHS, when set,
# replaces them for every job.
lengths() {
    if [ -n "$LENGTHS" ]; then
        echo "$LENGTHS"
        return
    fi
    case $1-$2 in
        eval_epoch-32) echo "50 250" ;;
        eval_epoch-*) echo "10 60" ;;
        dm_iteration-32) echo "5 30" ;;
        dm_iteration-*) echo "2 12" ;;
        tad_round-*) echo "1 2" ;;
        gm_step-32) echo "3 13" ;;
        gm_step-*) echo "2 7" ;;
        dc_iteration-*) echo "1 3" ;;
        mtt_iteration-*) echo "1 3" ;;
    esac
}

# One timed process: appends "side name shape width length seconds peak_kib", where name is
# the job's row in the summary (the job itself, or mtt_s$S for mtt_iteration). The arguments
# after the data file are the command and then the job's extra flags (both programs take the
# same flags, in any order), e.g. ... "$BIN" --real-batch 256 --ipc 10.
timed() {
    local side=$1 name=$2 job=$3 shape=$4 width=$5 length=$6 data=$7
    shift 7
    local t
    t=$( { /usr/bin/time -f "%e %M" "$@" --job "$job" --data "$data" --width "$width" \
        --length "$length" >/dev/null; } 2>&1 | tail -1)
    echo "$side $name $shape $width $length $t" | tee -a "$LOG" >&2
}

# Both sides of one job at its two lengths, alternating: run_job job name shape width data
# [flags...].
run_job() {
    local job=$1 name=$2 shape=$3 width=$4 data=$5
    shift 5
    local length
    for length in $(lengths "$job" "$width"); do
        if "$PYTHON" -c "import torch" 2>/dev/null; then
            timed pytorch "$name" "$job" "$shape" "$width" "$length" "$data" \
                "$PYTHON" benches/reference/whole_job_torch.py "$@"
        fi
        timed trustdd "$name" "$job" "$shape" "$width" "$length" "$data" "$BIN" "$@"
    done
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
                case $job in
                    gm_step) run_job "$job" "$job" "$shape" "$width" "$data" --real-batch 256 --ipc 10 ;;
                    dc_iteration) run_job "$job" "$job" "$shape" "$width" "$data" --real-batch 256 --ipc 1 ;;
                    mtt_iteration)
                        for steps in $SYN_STEPS; do
                            run_job "$job" "mtt_s$steps" "$shape" "$width" "$data" \
                                --ipc 10 --syn-steps "$steps" --batch-syn 100
                        done ;;
                    *) run_job "$job" "$job" "$shape" "$width" "$data" ;;
                esac
            done
        done
    done
done
echo "load after: $(uptime | sed 's/.*load average: //')"
python3 - "$LOG" "$PEAK_GFLOPS" "$TAD_IMAGES" "$TAD_IMAGES_WIDE" <<'PY'
import collections, statistics, sys
log, peak, tad_n, tad_wide = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
CLASSES = 10
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

# The second-order jobs as the harness runs them: gm_step IPC 10, dc_iteration IPC 1, both with
# 256 real images per class; mtt_s<N> N student steps on batches of 100 images.
GM_REAL, GM_IPC, DC_IPC, MTT_BATCH = 256, 10, 1, 100

def mtt_steps(job):
    return int(job[len("mtt_s"):]) if job.startswith("mtt_s") else None

def images(job, shape, width):
    """Images per unit: the set, the real + synthetic batches, or the TAD data (as written above);
    for the second-order jobs the images passed through the network per unit."""
    if job == "eval_epoch":
        return 100
    if job == "dm_iteration":
        return 740
    if job == "gm_step":
        return GM_REAL + GM_IPC
    if job == "dc_iteration":
        return CLASSES * (GM_REAL + DC_IPC)
    if mtt_steps(job) is not None:
        return mtt_steps(job) * MTT_BATCH
    if shape == "3x32x32" and width == 32:
        return 50000
    return tad_n if width == 32 else tad_wide

def unit_flops(job, shape, width):
    f, n = forward_flops(shape, width), images(job, shape, width)
    if job == "eval_epoch":  # forward, input and weight gradients
        return n * 3 * f
    if job == "dm_iteration":  # 10 classes x (64 real forward + 10 synthetic forward + input grad)
        return 10 * (64 * f + 10 * 2 * f)
    # Second-order jobs (estimates, in forward-pass equivalents): a real image costs forward +
    # backward ~ 3 forwards; a synthetic image forward + first backward (create_graph) + the
    # double backward to the pixels ~ 5 forwards. gm_step: one class; dc_iteration at IPC 1:
    # 10 classes (the only outer step, no inner epochs); mtt_sN: N steps x 100 images x ~5.
    if job == "gm_step":
        return GM_REAL * 3 * f + GM_IPC * 5 * f
    if job == "dc_iteration":
        return CLASSES * (GM_REAL * 3 * f + DC_IPC * 5 * f)
    if mtt_steps(job) is not None:
        return mtt_steps(job) * MTT_BATCH * 5 * f
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

unit = {"eval_epoch": "s/epoch", "dm_iteration": "s/iter", "tad_round": "s/round",
        "gm_step": "s/step", "dc_iteration": "s/iter"}
mtt_jobs = sorted({k[1] for k in runs if mtt_steps(k[1]) is not None}, key=mtt_steps)
unit.update({job: "s/iter" for job in mtt_jobs})
print(f"{'job':<13}{'shape':<9}{'width':>6}{'images':>8}{'trustdd':>10}{'pytorch':>10}{'speed-up':>9}"
      f"{'% peak':>8}{'trustdd MiB':>12}{'pytorch MiB':>12}  unit")
for job in ["eval_epoch", "dm_iteration", "tad_round", "gm_step", "dc_iteration"] + mtt_jobs:
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
