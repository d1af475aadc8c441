#!/usr/bin/env bash
# Creates (once) the Python environment of the reference scripts in scripts/ref/ — llama.cpp's
# gguf-py, llama-cpp-python (built from source: a few minutes on 2 cores), transformers and torch
# on CPU (the default torch wheel pulls CUDA libraries, several GB) — and prints its python.
#   PY=$(bash scripts/ref/setup.sh); $PY scripts/ref/gguf_fixtures.py
# Cache: $PTTRUST_PYREF, else ${PTTRUST_CACHE:-${XDG_CACHE_HOME:-~/.cache}/pttrust}/pyref.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
env=${PTTRUST_PYREF:-${PTTRUST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pttrust}/pyref}
source "$here/../lib/venv.sh"
ensure_venv "$env" "$here/requirements.txt"
