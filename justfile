# pttrust recipes. Every go command needs the pinned toolchain and GoMLX's SIMD kernels.
export GOTOOLCHAIN := "go1.27.4"
export GOEXPERIMENT := "simd"

# Build the command line into ./bin/pttrust.
build:
    go build -o bin/pttrust ./cmd/pttrust

# The main job on the embedded defaults (per-line log-probs of a source file, tinycoder model).
demo: build
    ./bin/pttrust lm logprobs states/lines.go

# Retrain the default model (about 80 minutes on 2 cores; resumable).
train-tinycoder: build
    ./bin/pttrust lm train --config experiments/tinycoder.toml

# The whole test suite, as CI runs it.
test:
    go test -count=1 ./...

# Benchmarks: forward pass (tiny and Qwen2.5-Coder-0.5B-shaped) with the matmul reference.
bench:
    go test -run '^$' -bench . -benchtime 3x -timeout 60m ./models/ ./models/train/

# Fuzz the safetensors header parser for a while (the corpus is kept in testdata).
fuzz time="3m":
    go test -run '^$' -fuzz FuzzParseHeader -fuzztime {{time}} ./models/safetensors/

# Static checks.
lint:
    gofmt -l . | (! grep .)
    go vet ./...

# Everything CI does.
ci:
    bash .ci/run
