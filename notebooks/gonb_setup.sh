#!/usr/bin/env bash
# Run by the first cell of each notebook in this folder, as `!*bash "$GONB_DIR/gonb_setup.sh"`:
# gonb runs `!*` commands in its temporary Go module (the one the cells compile in), and sets
# GONB_DIR to the notebook's folder. This points that module at this checkout of pttrust (a
# replace directive, so the cells build the code next to the notebook, not a published version)
# and pins gonbui to the kernel's version (the proxy's version listing for gonb is unreliable, so
# nothing must ask it for "latest").
set -euo pipefail
gonb_version=v0.11.5
repo=$(cd "${GONB_DIR:?not run by gonb}/.." && pwd)
[ -f "$repo/go.mod" ] || { echo "gonb_setup: no go.mod in $repo" >&2; exit 1; }
go mod edit -require=github.com/pttrust/pttrust@v0.0.0 -replace=github.com/pttrust/pttrust="$repo"
if ! out=$(go get "github.com/janpfeifer/gonb@$gonb_version" 2>&1); then
	echo "$out" >&2
	exit 1
fi
echo "cells build against $repo with $(go env GOVERSION), GOEXPERIMENT=$(go env GOEXPERIMENT)"
case ",$(go env GOEXPERIMENT)," in
*,simd,*) ;;
*) echo "warning: GOEXPERIMENT lacks simd: GoMLX's pure-Go matmuls will be about 20x slower" >&2 ;;
esac
