package models

import (
	"encoding/binary"
	"fmt"
	"math"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pttrust/pttrust/models/safetensors"
)

// Parity against golden tensors written by models/testdata/golden/gen_golden.py, an independent
// float64 torch implementation of the Hugging Face modeling equations (see its README). The Go
// forward pass runs in float32; the tolerance is on the absolute error.
const parityTol = 1e-4

const goldenDir = "testdata/golden"

type goldenCase struct {
	dir    string // checkpoint
	golden string // directory of golden.safetensors (same weights)
}

var goldenCases = []goldenCase{
	{"qwen2", "qwen2"},
	{"llama", "llama"},
	{"llama_sharded", "llama"},
	{"llama_bf16", "llama_bf16"},
	{"gpt2", "gpt2"},
	{"gpt2_with_buffers", "gpt2"},
	{"starcoder2", "starcoder2"},
}

// readGolden returns the input ids and every float tensor of a golden file.
func readGolden(t *testing.T, dir string) ([][]int32, map[string]*Array) {
	t.Helper()
	f, err := safetensors.Open(filepath.Join(goldenDir, dir, "golden.safetensors"))
	require.NoError(t, err)
	defer f.Close()
	raw, info, err := f.Bytes("input_ids")
	require.NoError(t, err)
	require.Equal(t, safetensors.DType("I64"), info.DType)
	batch, seq := info.Shape[0], info.Shape[1]
	ids := make([][]int32, batch)
	for b := range ids {
		ids[b] = make([]int32, seq)
		for s := range ids[b] {
			ids[b][s] = int32(binary.LittleEndian.Uint64(raw[8*(b*seq+s):]))
		}
	}
	out := map[string]*Array{}
	for _, name := range f.Names() {
		if name == "input_ids" {
			continue
		}
		data, shape, err := f.Float32(name)
		require.NoError(t, err)
		out[name] = &Array{Shape: shape, Data: data}
	}
	return ids, out
}

func maxAbsDiff(t *testing.T, name string, want, got []float32) float64 {
	t.Helper()
	require.Equal(t, len(want), len(got), "%s: sizes differ", name)
	worst := 0.0
	for i := range want {
		d := math.Abs(float64(want[i]) - float64(got[i]))
		if math.IsNaN(d) {
			t.Fatalf("%s[%d]: want %g got %g", name, i, want[i], got[i])
		}
		worst = math.Max(worst, d)
	}
	return worst
}

func TestParityWithReference(t *testing.T) {
	backend, err := NewBackend("go")
	require.NoError(t, err)
	for _, c := range goldenCases {
		t.Run(c.dir, func(t *testing.T) {
			m, err := Load(filepath.Join(goldenDir, c.dir), backend)
			require.NoError(t, err)
			ids, golden := readGolden(t, c.golden)
			L := m.Config.NumLayers

			hooks := []string{HookEmbed, HookFinalNorm, HookLogits, HookTokenLogProb, HookTokenEntropy}
			for l := range L {
				hooks = append(hooks, ResidPre(l), ResidPost(l), AttnPattern(l))
			}
			got, err := m.Run(ids, Request{Hooks: hooks})
			require.NoError(t, err)

			for _, name := range hooks {
				var want []float32
				var have []float32
				switch name {
				case HookTokenLogProb: // golden logprobs[:, t] predicts token t+1
					want, have = golden["logprobs"].Data, dropFirst(got[name])
				case HookTokenEntropy: // golden entropy[:, t] is the distribution at position t
					want, have = dropLast(golden["entropy"]), dropFirst(got[name])
				default:
					g, ok := golden[name]
					require.True(t, ok, "golden has no %s", name)
					require.Equal(t, g.Shape, got[name].Shape, name)
					want, have = g.Data, got[name].Data
				}
				d := maxAbsDiff(t, name, want, have)
				t.Logf("%-24s max |Δ| = %.2e", name, d)
				require.LessOrEqual(t, d, parityTol, "%s/%s: max abs error %.3e > %.0e", c.dir, name, d, parityTol)
			}
			// The pure-Go backend's fused attention kernel (off by default, see FusedAttentionEnv)
			// gives the same values when no pattern is asked for.
			t.Setenv(FusedAttentionEnv, "1")
			m.ResetCompiled()
			fused, err := m.Run(ids, Request{Hooks: []string{ResidPost(L - 1), HookLogits}})
			require.NoError(t, err)
			for _, name := range []string{ResidPost(L - 1), HookLogits} {
				d := maxAbsDiff(t, name, golden[name].Data, fused[name].Data)
				require.LessOrEqual(t, d, parityTol, "fused path %s/%s: max abs error %.3e", c.dir, name, d)
			}
			// Position 0 has no prediction.
			require.True(t, math.IsNaN(float64(got[HookTokenLogProb].At(0, 0))))
		})
	}
}

// dropFirst removes position 0 of each row of a [batch, seq] array.
func dropFirst(a *Array) []float32 {
	var out []float32
	for b := range a.Shape[0] {
		out = append(out, a.Row(b)[1:]...)
	}
	return out
}

// dropLast removes the last position of each row of a [batch, seq] array.
func dropLast(a *Array) []float32 {
	var out []float32
	for b := range a.Shape[0] {
		r := a.Row(b)
		out = append(out, r[:len(r)-1]...)
	}
	return out
}

// Hooks capture only what is asked for, and a partial pass gives the same values as a full one.
func TestPartialPassMatchesFull(t *testing.T) {
	backend, err := NewBackend("go")
	require.NoError(t, err)
	m, err := Load(filepath.Join(goldenDir, "qwen2"), backend)
	require.NoError(t, err)
	ids, golden := readGolden(t, "qwen2")
	got, err := m.Run(ids, Request{Hooks: []string{ResidPost(0)}, StopAtLayer: 1})
	require.NoError(t, err)
	require.Len(t, got, 1)
	require.LessOrEqual(t, maxAbsDiff(t, "resid_post0", golden[ResidPost(0)].Data, got[ResidPost(0)].Data), parityTol)

	_, err = m.Run(ids, Request{Hooks: []string{ResidPost(2)}, StopAtLayer: 1})
	require.ErrorContains(t, err, "stop_at_layer 1")
	_, err = m.Run(ids, Request{Hooks: []string{"blocks.7.resid_post"}})
	require.ErrorContains(t, err, "out of range")
	_, err = m.Run(ids, Request{Hooks: []string{"blocks.0.mlp_out"}})
	require.ErrorContains(t, err, "unknown hook")
	_, err = m.Run([][]int32{{1, 999}}, Request{Hooks: []string{HookEmbed}})
	require.ErrorContains(t, err, "outside the vocabulary")
}

// Right padding never changes the values at real positions (attention is causal).
func TestRightPaddingIsInert(t *testing.T) {
	backend, err := NewBackend("go")
	require.NoError(t, err)
	m, err := Load(filepath.Join(goldenDir, "starcoder2"), backend)
	require.NoError(t, err)
	ids, golden := readGolden(t, "starcoder2")
	short := ids[0][:10]
	got, err := m.Run([][]int32{short, ids[1]}, Request{Hooks: []string{ResidPost(1)}})
	require.NoError(t, err)
	a := got[ResidPost(1)]
	for s := range 10 {
		want := golden[ResidPost(1)].Row(0, s)
		require.LessOrEqual(t, maxAbsDiff(t, fmt.Sprint("pos", s), want, a.Row(0, s)), parityTol)
	}
}

// With a sliding window W and one block, position t sees exactly tokens t-W+1..t; RoPE scores
// depend only on relative positions, so block 0's output at t equals the output at the last
// position of a window-free pass over those W tokens.
func TestSlidingWindow(t *testing.T) {
	backend, err := NewBackend("go")
	require.NoError(t, err)
	m, err := Load(filepath.Join(goldenDir, "starcoder2"), backend)
	require.NoError(t, err)
	ids, golden := readGolden(t, "starcoder2")
	const W = 5
	m.Config.SlidingWindow = W
	got, err := m.Run(ids[:1], Request{Hooks: []string{ResidPost(0)}})
	require.NoError(t, err)
	m.Config.SlidingWindow = 0
	m.ResetCompiled()
	differs := 0.0
	for pos := W; pos < len(ids[0]); pos++ {
		ref, err := m.Run([][]int32{ids[0][pos-W+1 : pos+1]}, Request{Hooks: []string{ResidPost(0)}})
		require.NoError(t, err)
		d := maxAbsDiff(t, "window", ref[ResidPost(0)].Row(0, W-1), got[ResidPost(0)].Row(0, pos))
		require.LessOrEqual(t, d, parityTol, "position %d", pos)
		differs = math.Max(differs, maxAbsDiff(t, "full", golden[ResidPost(0)].Row(0, pos), got[ResidPost(0)].Row(0, pos)))
	}
	require.Greater(t, differs, 1e-3, "the window must change the result compared with full causal attention")
}

// Any number of distinct input shapes works (shape buckets + an LRU of compiled graphs), and the
// outputs are trimmed to the request: rows and positions, attention patterns on both axes.
func TestManyShapes(t *testing.T) {
	backend, err := NewBackend("go")
	require.NoError(t, err)
	m, err := Load(filepath.Join(goldenDir, "gpt2"), backend)
	require.NoError(t, err)
	ids, golden := readGolden(t, "gpt2")
	for n := 1; n <= 24; n++ {
		for _, batch := range []int{1, 2} {
			rows := make([][]int32, batch)
			for b := range rows {
				rows[b] = ids[b][:n]
			}
			got, err := m.Run(rows, Request{Hooks: []string{ResidPost(1), AttnPattern(0)}})
			require.NoError(t, err)
			require.Equal(t, []int{batch, n, 64}, got[ResidPost(1)].Shape)
			require.Equal(t, []int{batch, 4, n, n}, got[AttnPattern(0)].Shape)
			for b := range batch {
				for s := range n {
					d := maxAbsDiff(t, "resid", golden[ResidPost(1)].Row(b, s), got[ResidPost(1)].Row(b, s))
					require.LessOrEqual(t, d, parityTol)
					d = maxAbsDiff(t, "pattern", golden[AttnPattern(0)].Row(b, 2, s)[:n], got[AttnPattern(0)].Row(b, 2, s))
					require.LessOrEqual(t, d, parityTol)
				}
			}
		}
	}
	require.LessOrEqual(t, len(m.execs), maxGraphs)
}
