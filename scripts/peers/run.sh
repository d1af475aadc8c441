#!/usr/bin/env bash
# `just bench-peers`: pttrust against what researchers would use instead, in one run on this
# machine, the same model (SmolLM2-135M-Instruct, the GGUF of scripts/models/smollm2.sh), the same
# data and the same thread count; writes results/peers/peers.md (one table of ratios pttrust ÷
# peer, with the peers' versions and the machine) and results/peers/raw.jsonl (every measurement,
# one JSON line each).
#
#   bash scripts/peers/run.sh            # full run: about 30 minutes on 2 cores (setup apart)
#   bash scripts/peers/run.sh --quick    # tiny sizes, a smoke check (about 2 minutes); QUICK=1 too
#
# Rows: (1) forward tokens/s at seq 512, batch 1 and 8 (models BenchmarkSmolLM2) vs llama.cpp
# prompt processing; (2) line-state extraction tokens/s (states/extract BenchmarkPeerExtract) vs
# transformers eager with output_hidden_states, whole and cut to 8 layers, on the same batches;
# (3) SAE training lines/s and FVU after the same steps (pretrain BenchmarkPeerSAE) vs SAELens'
# TopK SAE; (4) Parquet shard write/read MB/s (BenchmarkPeerShard) vs pyarrow on the same rows.
# Data: mutants of Go's container packages from the pinned Go toolchain's sources (`pttrust
# datasets mutate`). Nothing is fetched at run time except by the one-time setup (the Python
# environment of scripts/peers/setup.sh and the model file, both cached).
# Env: PEERS_THREADS (default 2), PEERS_OUT (default results/peers; --quick: work/peers-quick),
# PEERS_WORK (scratch, emptied first; default work/peers, --quick: work/peers-quick/scratch).
set -euo pipefail
export GOTOOLCHAIN=go1.27.4 GOEXPERIMENT=simd
cd "$(dirname "$0")/../.."
quick=${QUICK:-0}
[[ ${1:-} == --quick ]] && quick=1
threads=${PEERS_THREADS:-2}
if [[ $quick == 1 ]]; then
  out=${PEERS_OUT:-work/peers-quick}; work=${PEERS_WORK:-work/peers-quick/scratch}
else
  out=${PEERS_OUT:-results/peers}; work=${PEERS_WORK:-work/peers}
fi
rm -rf "$work"; mkdir -p "$out" "$work"
work=$(cd "$work" && pwd)
raw=$out/raw.jsonl
: >"$raw"
export GOMAXPROCS=$threads OMP_NUM_THREADS=$threads MKL_NUM_THREADS=$threads
export PTTRUST_PEERS_OUT=$work
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_DATASETS_OFFLINE=1 TQDM_DISABLE=1 # nothing fetched at run time

PY=$(bash scripts/peers/setup.sh)
GGUF=$(bash scripts/models/smollm2.sh)
export PTTRUST_SMOLLM2=$GGUF PTTRUST_REQUIRE_SMOLLM2=1
log() { echo "bench-peers: $*" >&2; }

# The test binaries are built once, before any row, so that every row measures the code the
# meta line names: the 07:22 run of 2026-12-07 compiled each row's package when the row began,
# and its last rows (pttrust's seeds 2 and 3 with free decoder rows) ran edits made to the tree
# during the run (0.02315 / 0.02237 test FVU where that commit gives 0.02234 / 0.02243).
mkdir -p "$work/bin"
for pkg in models states/extract pretrain; do
  go test -c -o "$work/bin/${pkg//\//_}.test" "./$pkg"
done
# gobench ROW PKG BENCH BENCHTIME: the package's benchmarks matching BENCH, in its directory as
# go test runs them -> one JSON line per benchmark: {"row", "side", "bench", "metrics"}.
gobench() {
  local row=$1 pkg=$2
  (cd "$pkg" && "$work/bin/${pkg//\//_}.test" -test.run '^$' -test.timeout 120m -test.bench "$3" \
    -test.benchtime "$4") | tee "$work/go-$row.txt" >&2
  awk -v row="$row" '/^Benchmark/ {
    name = $1; sub(/-[0-9]+$/, "", name)
    printf "{\"row\":\"%s\",\"side\":\"pttrust\",\"bench\":\"%s\",\"metrics\":{", row, name
    sep = ""; for (i = 3; i < NF; i += 2) { printf "%s\"%s\":%s", sep, $(i+1), $i; sep = "," }
    print "}}" }' "$work/go-$row.txt" >>"$raw"
}
peer() { "$PY" "$@" | tee -a "$raw" >&2; }

# The machine and the versions.
cpu=$(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
"$PY" - "$cpu" "$(nproc)" "$threads" "$quick" "$(go version)" "$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- . ':!results/peers' 2>/dev/null || echo +changes)" "$GGUF" >>"$raw" <<'PYEOF'
import json, sys, datetime, platform
cpu, cores, threads, quick, gov, rev, gguf = sys.argv[1:]
print(json.dumps({"row": "meta", "cpu": cpu, "cores": int(cores), "threads": int(threads), "quick": quick == "1",
                  "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
                  "go": gov, "pttrust": rev, "python": platform.python_version(), "model": gguf}))
PYEOF

# The data: mutants (clean program, line and operator mutants) of the pinned toolchain's sources.
log "building pttrust and the data"
go build -o "$work/pttrust" ./cmd/pttrust
src=$(go env GOROOT)/src/container
if [[ $quick == 1 ]]; then
  "$work/pttrust" datasets mutate --src "$src/list" --lang go --max-files 1 --line-mutants 1 \
    --operator-mutants 1 --out "$work/snippets.parquet" >&2
else
  "$work/pttrust" datasets mutate --src "$src/heap" --src "$src/ring" --lang go --line-mutants 1 \
    --operator-mutants 2 --out "$work/snippets.parquet" >&2
fi

# Row 1: the forward pass at seq 512.
log "forward: pttrust (BenchmarkSmolLM2)"
if [[ $quick == 1 ]]; then
  gobench forward models 'SmolLM2$/./b1xs512' 1x
  batches=(1); reps=1
else
  gobench forward models 'SmolLM2$' 3x
  batches=(1 8); reps=3
fi
log "forward: llama.cpp"
for b in "${batches[@]}"; do
  r=$reps; [[ $b == 8 ]] && r=1 # 8 prompts a repetition already
  peer scripts/peers/llama_peer.py --gguf "$GGUF" --threads "$threads" --batch "$b" --reps "$r"
  peer scripts/peers/llama_peer.py --gguf "$GGUF" --threads "$threads" --batch "$b" --reps "$r" --logits-all
done

# Rows 2 and 4: extraction, then the shard writer/reader on its rows.
log "extraction: pttrust (BenchmarkPeerExtract)"
PTTRUST_PEERS_DATA=$work/snippets.parquet gobench extract states/extract PeerExtract 1x
log "extraction: transformers"
peer scripts/peers/hf_peer.py --gguf "$GGUF" --batches "$work/batches-full.json" --threads "$threads"
peer scripts/peers/hf_peer.py --gguf "$GGUF" --batches "$work/batches-states7.json" --threads "$threads" --truncate
log "shards: pttrust (BenchmarkPeerShard), pyarrow"
gobench parquet states/extract PeerShard "${reps}x"
peer scripts/peers/parquet_peer.py --shard "$work/shard/shard-00000.parquet" --out "$work/pyarrow.parquet" --reps "$reps"

# Row 3: the SAE on the early-layer line states, as many steps on both sides, at each learning
# rate and initialisation of the grid on the same split (train / validation / test lines;
# BenchmarkPeerSAE writes it for the peer), seed 1; table.py picks each side's setting on the
# validation FVU, both sides run two more seeds there, and it reports the seeds' mean test FVU.
log "SAE: pttrust (BenchmarkPeerSAE)"
latents=128,2048; epochs=40; lrs=2e-4,5e-4,1e-3,2e-3,5e-3,1e-2; seeds=2,3
# The initialisations: pttrust's unit decoder rows with the encoder at 1 and 0.3 x their
# transpose, and SAELens' parametrisation (pttrust's decoder_norm "free") at the initial decoder
# norms 0.1 (SAELens' default), 0.3 and 1, on both sides.
inits=unit1,unit0.3,free0.1,free0.3,free1; dinits=0.1,0.3,1
[[ $quick == 1 ]] && { latents=128; epochs=3; lrs=2e-4,5e-3; inits=unit1,free0.1; dinits=0.1,1; seeds=2; }
saebench() { # saebench ROW LATENTS LRS INITS SEEDS
  PTTRUST_PEERS_STATES=$work/states-states7 PTTRUST_PEERS_SAE_LATENTS=$2 PTTRUST_PEERS_SAE_EPOCHS=$epochs \
    PTTRUST_PEERS_SAE_LRS=$3 PTTRUST_PEERS_SAE_INITS=$4 PTTRUST_PEERS_SAE_SEEDS=$5 \
    PTTRUST_PEERS_SAE_SPLIT=$work/sae-split gobench "$1" pretrain PeerSAE 1x
}
saebench sae "$latents" "$lrs" "$inits" 1
log "SAE: SAELens"
for l in ${latents//,/ }; do
  # "lr steps" of pttrust's runs at this width: the peer runs as many steps at each rate.
  awk -v l="$l" '$1 ~ "/L" l "_" { lr = ""; st = ""
      for (i = 3; i < NF; i += 2) { if ($(i+1) == "lr") lr = $i; if ($(i+1) == "steps") st = $i }
      printf "%s %d\n", lr, st }' "$work/go-sae.txt" | sort -u -g |
    while read -r lr steps; do
      for dinit in ${dinits//,/ }; do
        peer scripts/peers/sae_peer.py --split "$work/sae-split" --latents "$l" --k 32 --batch 256 --lr "$lr" \
          --decoder-init-norm "$dinit" --warmup 100 --steps "$steps" --threads "$threads"
      done
    done
done
# More seeds at each side's chosen settings (on validation FVU, seed 1; table.py --choose):
# pttrust's best free and best unit setting, SAELens' best, at each width.
log "SAE: more seeds at the chosen settings"
"$PY" scripts/peers/table.py --choose "$raw" >"$work/sae-chosen.txt"
while read -r side l lr init steps; do
  if [[ $side == pttrust ]]; then
    saebench "sae-seeds-$l-$init" "$l" "$lr" "$init" "$seeds" </dev/null
  else
    for s in ${seeds//,/ }; do
      peer scripts/peers/sae_peer.py --split "$work/sae-split" --latents "$l" --k 32 --batch 256 --lr "$lr" \
        --decoder-init-norm "$init" --seed "$s" --warmup 100 --steps "$steps" --threads "$threads" </dev/null
    done
  fi
done <"$work/sae-chosen.txt"
# pttrust's per-line test errors of each run (BenchmarkPeerSAE), as the peer prints its own.
"$PY" - "$work/sae-split" >>"$raw" <<'PYEOF'
import glob, json, os, re, sys
import numpy as np
for f in sorted(glob.glob(os.path.join(sys.argv[1], "pttrust-L*.test_sse.f64"))):
    lat, lr, init, seed = re.match(r"pttrust-L(\d+)-lr(.+)-(unit[^-]+|free[^-]+)-seed(\d+)\.test_sse\.f64$",
                                   os.path.basename(f)).groups()
    print(json.dumps({"row": "sae_lines", "side": "pttrust", "latents": int(lat), "lr": float(lr),
                      "init": init, "seed": int(seed), "test_sse": np.fromfile(f, "<f8").tolist()}))
PYEOF

"$PY" scripts/peers/table.py "$raw" >"$out/peers.md"
log "wrote $out/peers.md and $raw"
cat "$out/peers.md"
