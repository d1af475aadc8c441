#!/usr/bin/env bash
# Creates (once) the Python environment of the peer benchmarks in scripts/peers/ — llama.cpp
# (llama-cpp-python, built from source: a few minutes on 2 cores), transformers and torch on CPU,
# SAELens, pyarrow — and prints its python. Reinstalls only when requirements.txt changes.
#   PY=$(bash scripts/peers/setup.sh)
# Torch: the CPU-only wheel index is used when it answers, else PyPI's default wheel (it also
# pulls CUDA libraries, unused here). llama.cpp is built for this machine's CPU
# (GGML_NATIVE, as a user building it would).
# Cache: $PTTRUST_PYPEERS, else ${PTTRUST_CACHE:-${XDG_CACHE_HOME:-~/.cache}/pttrust}/pypeers.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
env=${PTTRUST_PYPEERS:-${PTTRUST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pttrust}/pypeers}
stamp=$env/.requirements.sha256
want=$(sha256sum "$here/requirements.txt" | cut -d' ' -f1)
if [[ -x $env/bin/python && -f $stamp && $(cat "$stamp") == "$want" ]]; then
  echo "$env/bin/python"; exit 0
fi
python3 -m venv "$env" >&2
extra=()
cpu=https://download.pytorch.org/whl/cpu
if curl -fsS -m 10 -o /dev/null "$cpu/torch/" 2>/dev/null; then
  extra=(--extra-index-url "$cpu")
fi
CMAKE_ARGS=${CMAKE_ARGS:-"-DGGML_NATIVE=ON"} nice -n 10 "$env/bin/pip" install --quiet \
  --disable-pip-version-check "${extra[@]}" -r "$here/requirements.txt" >&2
echo "$want" >"$stamp"
echo "$env/bin/python"
