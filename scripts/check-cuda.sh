#!/usr/bin/env bash
# Compile-checks the CUDA build (`--features cuda`) on a machine without a GPU: installs NVIDIA's
# CUDA toolkit from PyPI into a virtual environment and runs `cargo check` with it. Not part of
# .ci/run (a cold run takes about 20 minutes on 2 cores); run on demand:
#   bash scripts/check-cuda.sh            # venv in ${CUDA_VENV:-/tmp/cudaenv}
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${CUDA_VENV:-/tmp/cudaenv}"
if [ ! -x "$venv/bin/pip" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install -q "cuda-toolkit[nvcc,nvvm,crt,curand,cudart,nvrtc,cublas,cccl]==13.2.2"
cuda_root="$(find "$venv" -maxdepth 6 -type d -path '*nvidia/cu13' | head -n 1)"
[ -n "$cuda_root" ] || { echo "CUDA toolkit not found under $venv" >&2; exit 1; }
export CUDA_ROOT="$cuda_root" CUDA_PATH="$cuda_root" CUDA_TOOLKIT_ROOT_DIR="$cuda_root"
export NVCC="$cuda_root/bin/nvcc" PATH="$cuda_root/bin:$PATH"
# No GPU to query: build the kernels for Hopper (H100/H200).
export CUDA_COMPUTE_CAP="${CUDA_COMPUTE_CAP:-90}"
cargo check --workspace --all-targets --features cuda
