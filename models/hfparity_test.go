package models

// Parity with Hugging Face transformers itself (not only with the independent reference of
// testdata/golden): scripts/gpu/hf_parity.py builds small random Qwen2 and GPT-2 models with
// transformers, saves them with save_pretrained, runs them in float32 with
// output_hidden_states=True, and saves every hidden state. This test loads each saved checkpoint
// and compares layer by layer. It skips unless PTTRUST_HF_PARITY_DIR names the output directory
// of that script. The backend is GOMLX_BACKEND (default "go"); on a GPU use
// GOMLX_BACKEND=xla:cuda,tf32=false in a -tags xla build.
//
// Hugging Face's hidden_states has L+1 entries: hidden_states[i] for i < L is the input of block
// i (our blocks.{i}.resid_pre; [0] is the embedding output), and the last one has the final norm
// applied (our final_norm), not the raw output of block L-1. The script also records every
// block's raw output with forward hooks (block_out.{i} = our blocks.{i}.resid_post).

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pttrust/pttrust/models/safetensors"
)

const (
	hfParityDirEnv = "PTTRUST_HF_PARITY_DIR"
	hfParityTolEnv = "PTTRUST_HF_PARITY_TOL"
	hfStatesFile   = "hf_states.safetensors"
)

func TestHFParity(t *testing.T) {
	root := os.Getenv(hfParityDirEnv)
	if root == "" {
		t.Skipf("set %s to the output directory of scripts/gpu/hf_parity.py to compare with transformers", hfParityDirEnv)
	}
	tol := 1e-3
	if v := os.Getenv(hfParityTolEnv); v != "" {
		var err error
		tol, err = strconv.ParseFloat(v, 64)
		require.NoError(t, err, hfParityTolEnv)
	}
	cases, err := filepath.Glob(filepath.Join(root, "*", hfStatesFile))
	require.NoError(t, err)
	require.NotEmpty(t, cases, "%s=%s holds no */%s", hfParityDirEnv, root, hfStatesFile)
	backend, err := NewBackend("")
	require.NoError(t, err)
	t.Logf("backend: %s", backend.Description())
	for _, statesPath := range cases {
		dir := filepath.Dir(statesPath)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			m, err := Load(dir, backend)
			require.NoError(t, err)
			f, err := safetensors.Open(statesPath)
			require.NoError(t, err)
			defer f.Close()
			t.Logf("fixture metadata: %v", f.Metadata)
			ids := readInputIDs(t, f)
			L := m.Config.NumLayers

			hooks := []string{HookFinalNorm, HookLogits}
			for l := range L {
				hooks = append(hooks, ResidPre(l), ResidPost(l))
			}
			got, err := m.Run(ids, Request{Hooks: hooks})
			require.NoError(t, err)

			// HF name -> our hook.
			pairs := [][2]string{{fmt.Sprintf("hidden_states.%d", L), HookFinalNorm}, {"logits", HookLogits}}
			for l := range L {
				pairs = append(pairs, [2]string{fmt.Sprintf("hidden_states.%d", l), ResidPre(l)},
					[2]string{fmt.Sprintf("block_out.%d", l), ResidPost(l)})
			}
			_, extra := f.Info(fmt.Sprintf("hidden_states.%d", L+1))
			require.False(t, extra, "the fixture has more than L+1 hidden states for L=%d", L)
			worst := 0.0
			for _, p := range pairs {
				want, shape, err := f.Float32(p[0])
				require.NoError(t, err, p[0])
				require.Equal(t, shape, got[p[1]].Shape, "%s vs %s", p[0], p[1])
				d := maxAbsDiff(t, p[1], want, got[p[1]].Data)
				worst = max(worst, d)
				t.Logf("%-20s vs %-22s max |Δ| = %.2e", p[0], p[1], d)
				require.LessOrEqual(t, d, tol, "%s: %s vs HF %s", filepath.Base(dir), p[1], p[0])
			}
			t.Logf("worst max |Δ| over %d tensors: %.2e (tolerance %.0e)", len(pairs), worst, tol)

			// The fixture's own consistency: hidden_states[i+1] is block i's output for i < L-1.
			for l := 0; l+1 < L; l++ {
				a, _, err := f.Float32(fmt.Sprintf("hidden_states.%d", l+1))
				require.NoError(t, err)
				b, _, err := f.Float32(fmt.Sprintf("block_out.%d", l))
				require.NoError(t, err)
				require.LessOrEqual(t, maxAbsDiff(t, "fixture", a, b), 1e-6, "fixture: hidden_states.%d != block_out.%d", l+1, l)
			}
		})
	}
}

func readInputIDs(t *testing.T, f *safetensors.File) [][]int32 {
	t.Helper()
	raw, info, err := f.Bytes("input_ids")
	require.NoError(t, err)
	require.Equal(t, safetensors.DType("I64"), info.DType)
	require.Len(t, info.Shape, 2)
	batch, seq := info.Shape[0], info.Shape[1]
	ids := make([][]int32, batch)
	for b := range ids {
		ids[b] = make([]int32, seq)
		for s := range ids[b] {
			ids[b][s] = int32(binary.LittleEndian.Uint64(raw[8*(b*seq+s):]))
		}
	}
	return ids
}
