package models

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/stretchr/testify/require"
)

// testdata/gguf holds the golden checkpoints of testdata/golden converted by llama.cpp's own
// convert_hf_to_gguf.py (scripts/ref/gguf_fixtures.py): F32 for each architecture, and llama
// also as Q8_0. Loading them must give the golden activations, which checks the metadata
// mapping, llama.cpp's q/k row permutation (undone) and GPT-2's transposed Conv1D weights
// against llama.cpp's converter rather than against our own reading of it.
const ggufDir = "testdata/gguf"

var ggufGolden = []string{"llama", "qwen2", "gpt2", "starcoder2"}

func TestGGUFParityWithReference(t *testing.T) {
	backend, err := NewBackend("go")
	require.NoError(t, err)
	for _, arch := range ggufGolden {
		t.Run(arch, func(t *testing.T) {
			m, err := LoadGGUF(filepath.Join(ggufDir, arch+".gguf"), backend)
			require.NoError(t, err)
			ref, err := LoadConfig(filepath.Join(goldenDir, arch))
			require.NoError(t, err)
			got := *m.Config
			require.InDelta(t, ref.NormEps, got.NormEps, ref.NormEps*1e-6, "GGUF stores eps as float32")
			got.NormEps = ref.NormEps
			got.MaxPositions = ref.MaxPositions // context_length may be rounded by the converter
			if arch == "starcoder2" {
				// llama.cpp's StarCoder2 export keeps no sliding window (llama.cpp attends over
				// the whole context); the golden window (4096) is longer than its inputs.
				require.Zero(t, got.SlidingWindow)
				got.SlidingWindow = ref.SlidingWindow
			}
			require.Equal(t, *ref, got)

			ids, golden := readGolden(t, arch)
			L := m.Config.NumLayers
			hooks := []string{HookEmbed, HookFinalNorm, HookLogits}
			for l := range L {
				hooks = append(hooks, ResidPre(l), ResidPost(l), AttnPattern(l))
			}
			out, err := m.Run(ids, Request{Hooks: hooks})
			require.NoError(t, err)
			for _, name := range hooks {
				d := maxAbsDiff(t, name, golden[name].Data, out[name].Data)
				require.LessOrEqual(t, d, parityTol, "%s/%s: max abs error %.3e", arch, name, d)
			}
		})
	}
}

// TestGGUFWeightsEqualSafetensors: an F32 GGUF made by llama.cpp's converter holds exactly the
// safetensors weights once the loader has undone its layout changes.
func TestGGUFWeightsEqualSafetensors(t *testing.T) {
	for _, arch := range ggufGolden {
		g, err := LoadGGUF(filepath.Join(ggufDir, arch+".gguf"), nil)
		require.NoError(t, err)
		h, err := Load(filepath.Join(goldenDir, arch), nil)
		require.NoError(t, err)
		for _, p := range h.Config.Params() {
			a, b := storeData(t, g, p), storeData(t, h, p)
			require.Equal(t, b, a, "%s: %s differs", arch, p.HF)
		}
	}
}

func storeData(t *testing.T, m *Model, p Param) []float32 {
	t.Helper()
	v := m.Store.GetVariable(p.Path())
	require.NotNil(t, v, p.HF)
	val, err := v.Value()
	require.NoError(t, err)
	data, err := tensors.CopyFlatData[float32](val)
	require.NoError(t, err)
	return data
}

// TestGGUFQ8_0: the Q8_0 export is within Q8_0's rounding (half a step, max|block|/254) of the
// F32 weights, and its logits stay close to the golden ones.
func TestGGUFQ8_0(t *testing.T) {
	q, err := LoadGGUF(filepath.Join(ggufDir, "llama_q8_0.gguf"), nil)
	require.NoError(t, err)
	f, err := LoadGGUF(filepath.Join(ggufDir, "llama.gguf"), nil)
	require.NoError(t, err)
	quantized := 0
	for _, p := range f.Config.Params() {
		a, b := storeData(t, q, p), storeData(t, f, p)
		worst, scale := 0.0, 0.0
		for i := range a {
			worst = math.Max(worst, math.Abs(float64(a[i]-b[i])))
			scale = math.Max(scale, math.Abs(float64(b[i])))
		}
		require.LessOrEqual(t, worst, scale/254*1.01+1e-7, p.HF)
		if worst > 0 {
			quantized++
		}
	}
	require.Greater(t, quantized, 5, "the Q8_0 file should hold quantized matrices")
	backend, err := NewBackend("go")
	require.NoError(t, err)
	q.Backend = backend
	ids, golden := readGolden(t, "llama")
	out, err := q.Run(ids, Request{Hooks: []string{HookLogits}})
	require.NoError(t, err)
	d := maxAbsDiff(t, "logits", golden[HookLogits].Data, out[HookLogits].Data)
	peak := 0.0
	for _, v := range golden[HookLogits].Data {
		peak = math.Max(peak, math.Abs(float64(v)))
	}
	t.Logf("Q8_0 logits: max |Δ| vs F32 golden = %.3g (max |logit| %.3g)", d, peak)
	require.Less(t, d, 0.05*peak)
}

func TestConvertGGUF(t *testing.T) {
	src := filepath.Join(ggufDir, "qwen2.gguf")
	out := filepath.Join(t.TempDir(), "qwen2-hf")
	require.NoError(t, ConvertGGUF(src, out, SaveOptions{}))
	for _, name := range []string{ConfigFile, "model.safetensors", TokenizerFile, "tokenizer_config.json"} {
		require.FileExists(t, filepath.Join(out, name))
	}
	a, ta, err := LoadWithTokenizer(out, nil)
	require.NoError(t, err)
	b, tb, err := LoadWithTokenizer(src, nil)
	require.NoError(t, err)
	require.Equal(t, *b.Config, *a.Config)
	for _, p := range a.Config.Params() {
		require.Equal(t, storeData(t, b, p), storeData(t, a, p), p.HF)
	}
	text := "def f(x):\n\treturn x  + 1  # ünïcode\r\n"
	require.Equal(t, tb.IDs(tb.Encode(text)), ta.IDs(ta.Encode(text)))
	// Refuses to replace an existing directory; a failed conversion leaves nothing behind.
	require.ErrorContains(t, ConvertGGUF(src, out, SaveOptions{}), "already exists")
	bad := filepath.Join(t.TempDir(), "bad.gguf")
	require.NoError(t, os.WriteFile(bad, []byte("GGUF\x03\x00\x00\x00"), 0o644))
	never := filepath.Join(t.TempDir(), "never")
	require.Error(t, ConvertGGUF(bad, never, SaveOptions{}))
	require.NoDirExists(t, never)
	entries, err := os.ReadDir(filepath.Dir(never))
	require.NoError(t, err)
	require.Empty(t, entries, "no temporary directory left behind")
}

func TestLoadWithTokenizerDispatch(t *testing.T) {
	m, tok, err := LoadWithTokenizer(filepath.Join(ggufDir, "llama.gguf"), nil)
	require.NoError(t, err)
	require.Equal(t, "llama", m.Config.ModelType)
	ref, err := LoadTokenizer(filepath.Join(goldenDir, "llama"))
	require.NoError(t, err)
	text := "for i in range(10):\n    print(i)\n"
	require.Equal(t, ref.IDs(ref.Encode(text)), tok.IDs(tok.Encode(text)))
	// A regular file that is not GGUF is named as such.
	_, _, err = LoadWithTokenizer(filepath.Join(goldenDir, "llama", ConfigFile), nil)
	require.ErrorContains(t, err, "is a file but not a GGUF file")
	// Fingerprints: a GGUF file's changes with its metadata, a directory's with config.json.
	fp, err := FingerprintOf(filepath.Join(ggufDir, "llama.gguf"))
	require.NoError(t, err)
	require.Len(t, fp.ConfigSHA256, 64)
	require.Equal(t, int64(len(mustRead(t, filepath.Join(ggufDir, "llama.gguf")))), fp.WeightsBytes())
	fq, err := FingerprintOf(filepath.Join(ggufDir, "qwen2.gguf"))
	require.NoError(t, err)
	require.NotEqual(t, fp.ConfigSHA256, fq.ConfigSHA256)
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	require.NoError(t, err)
	return b
}

// TestMalformedGGUFModels: a GGUF file whose metadata or tensors do not make a model gives an
// error naming the file and each problem. The cases patch bytes of the converted llama file.
func TestMalformedGGUFModels(t *testing.T) {
	orig := mustRead(t, filepath.Join(ggufDir, "llama.gguf"))
	patch := func(old, new string) []byte {
		require.Equal(t, len(old), len(new))
		require.Equal(t, 1, bytes.Count(orig, []byte(old)), "pattern %q", old)
		return bytes.Replace(orig, []byte(old), []byte(new), 1)
	}
	cases := []struct {
		name string
		data []byte
		want []string
	}{
		{"missing layer count", patch("llama.block_count", "llama.block_coun_"), []string{"metadata key llama.block_count is missing"}},
		{"unknown architecture", patch("\x05\x00\x00\x00\x00\x00\x00\x00llama", "\x05\x00\x00\x00\x00\x00\x00\x00llamb"), []string{`general.architecture "llamb" is not supported`}},
		{"renamed tensor", patch("blk.1.attn_q.weight", "blk.1.attn_x.weight"), []string{"missing tensor blk.1.attn_q.weight", "unexpected tensor blk.1.attn_x.weight"}},
		{"truncated", orig[:len(orig)-100], []string{"runs past the end of the file"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "broken.gguf")
			require.NoError(t, os.WriteFile(p, c.data, 0o644))
			_, _, err := LoadWithTokenizer(p, nil)
			require.Error(t, err)
			require.ErrorContains(t, err, p)
			for _, w := range c.want {
				require.ErrorContains(t, err, w)
			}
		})
	}
}

func TestConfigOf(t *testing.T) {
	a, err := ConfigOf(filepath.Join(ggufDir, "qwen2.gguf"))
	require.NoError(t, err)
	b, err := ConfigOf(filepath.Join(goldenDir, "qwen2"))
	require.NoError(t, err)
	require.Equal(t, b.NumLayers, a.NumLayers)
	require.Equal(t, b.DModel, a.DModel)
	_, err = ConfigOf(filepath.Join(t.TempDir(), "none"))
	require.ErrorContains(t, err, "config.json")
}
