#!/usr/bin/env bash
# Creates (once) the Python environment of the peer benchmarks in scripts/peers/ — llama.cpp
# (llama-cpp-python, built from source: a few minutes on 2 cores), transformers and torch on CPU,
# SAELens, pyarrow — and prints its python. Reinstalls only when requirements.txt changes.
#   PY=$(bash scripts/peers/setup.sh)
# Torch: the CPU-only wheel index is used when it answers, else PyPI's default wheel (it also
# pulls CUDA libraries, unused here). llama.cpp is built for this machine's CPU
# (GGML_NATIVE, as a user building it would; without AMX, below).
# Cache: $PTTRUST_PYPEERS, else ${PTTRUST_CACHE:-${XDG_CACHE_HOME:-~/.cache}/pttrust}/pypeers.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
env=${PTTRUST_PYPEERS:-${PTTRUST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pttrust}/pypeers}
extra=()
cpu=https://download.pytorch.org/whl/cpu
if [[ ! -f $env/.requirements.sha256 ]] && curl -fsS -m 10 -o /dev/null "$cpu/torch/" 2>/dev/null; then
  extra=(--extra-index-url "$cpu")
fi
source "$here/../lib/venv.sh"
# On CPUs with AMX (Sapphire Rapids and later) a native build routes Q4_1 matmuls through ggml's
# AMX backend, which segfaults in the first prompt eval on these machines (as in
# ggml-org/llama.cpp#20824): there the build names this CPU's other ISA extensions instead.
native="-DGGML_NATIVE=ON"
if grep -qw amx_int8 /proc/cpuinfo 2>/dev/null; then
  native="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_AVX512=ON -DGGML_AVX512_VBMI=ON -DGGML_AVX512_VNNI=ON -DGGML_AVX512_BF16=ON -DGGML_AVX_VNNI=ON"
fi
CMAKE_ARGS=${CMAKE_ARGS:-$native} ensure_venv "$env" "$here/requirements.txt" "${extra[@]}"
