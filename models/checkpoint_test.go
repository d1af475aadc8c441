package models

import (
	"encoding/binary"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pttrust/pttrust/models/safetensors"
)

// copyDir copies the files of a checkpoint directory into a fresh temp dir.
func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	entries, err := os.ReadDir(src)
	require.NoError(t, err)
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(src, e.Name()))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dst, e.Name()), data, 0o644))
	}
	return dst
}

// rewriteWeights loads dir/model.safetensors as float32, lets edit change the tensor list and
// writes it back.
func rewriteWeights(t *testing.T, dir string, edit func([]safetensors.Tensor) []safetensors.Tensor) {
	t.Helper()
	path := filepath.Join(dir, "model.safetensors")
	f, err := safetensors.Open(path)
	require.NoError(t, err)
	var ts []safetensors.Tensor
	for _, n := range f.Names() {
		data, shape, err := f.Float32(n)
		require.NoError(t, err)
		ts = append(ts, safetensors.F32Tensor(n, shape, data))
	}
	require.NoError(t, f.Close())
	require.NoError(t, safetensors.WriteFile(path, edit(ts), nil))
}

func TestMalformedCheckpoints(t *testing.T) {
	backend, err := NewBackend("go")
	require.NoError(t, err)
	src := filepath.Join(goldenDir, "qwen2")
	cases := []struct {
		name   string
		break_ func(t *testing.T, dir string)
		want   []string // substrings of the error
	}{
		{"truncated weights", func(t *testing.T, dir string) {
			p := filepath.Join(dir, "model.safetensors")
			data, _ := os.ReadFile(p)
			require.NoError(t, os.WriteFile(p, data[:len(data)/2], 0o644))
		}, []string{"model.safetensors"}},
		{"header offsets past the end", func(t *testing.T, dir string) {
			p := filepath.Join(dir, "model.safetensors")
			data, _ := os.ReadFile(p)
			n := binary.LittleEndian.Uint64(data)
			data = data[:8+n+16] // header intact, data buffer cut
			require.NoError(t, os.WriteFile(p, data, 0o644))
		}, []string{"model.safetensors"}},
		{"wrong shape", func(t *testing.T, dir string) {
			rewriteWeights(t, dir, func(ts []safetensors.Tensor) []safetensors.Tensor {
				for i, x := range ts {
					if x.Name == "model.layers.1.mlp.up_proj.weight" {
						ts[i] = safetensors.F32Tensor(x.Name, []int{64, 176}, make([]float32, 64*176))
					}
				}
				return ts
			})
		}, []string{"model.layers.1.mlp.up_proj.weight", "[64 176]", "[176 64]"}},
		{"missing tensor", func(t *testing.T, dir string) {
			rewriteWeights(t, dir, func(ts []safetensors.Tensor) []safetensors.Tensor {
				var out []safetensors.Tensor
				for _, x := range ts {
					if x.Name != "model.layers.0.self_attn.k_proj.bias" {
						out = append(out, x)
					}
				}
				return out
			})
		}, []string{"missing tensor model.layers.0.self_attn.k_proj.bias", "config.json"}},
		{"unknown tensor", func(t *testing.T, dir string) {
			rewriteWeights(t, dir, func(ts []safetensors.Tensor) []safetensors.Tensor {
				return append(ts, safetensors.F32Tensor("model.layers.9.extra.weight", []int{2}, []float32{1, 2}))
			})
		}, []string{"unexpected tensor model.layers.9.extra.weight"}},
		{"bad JSON", func(t *testing.T, dir string) {
			require.NoError(t, os.WriteFile(filepath.Join(dir, "config.json"), []byte(`{"model_type": "qwen2",`), 0o644))
		}, []string{"config.json", "invalid JSON"}},
		{"missing config field", func(t *testing.T, dir string) {
			require.NoError(t, os.WriteFile(filepath.Join(dir, "config.json"), []byte(`{"model_type": "qwen2", "vocab_size": 256}`), 0o644))
		}, []string{"config.json", "hidden_size"}},
		{"unsupported model", func(t *testing.T, dir string) {
			require.NoError(t, os.WriteFile(filepath.Join(dir, "config.json"), []byte(`{"model_type": "bert"}`), 0o644))
		}, []string{"config.json", `"bert"`}},
		{"no weights", func(t *testing.T, dir string) {
			require.NoError(t, os.Remove(filepath.Join(dir, "model.safetensors")))
		}, []string{"model.safetensors"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := copyDir(t, src)
			c.break_(t, dir)
			_, err := Load(dir, backend)
			require.Error(t, err)
			for _, w := range c.want {
				require.Contains(t, err.Error(), w)
			}
		})
	}
}

// A saved checkpoint loads back with identical outputs (F32), close outputs (BF16), and sharded.
func TestSaveRoundTrip(t *testing.T) {
	backend, err := NewBackend("go")
	require.NoError(t, err)
	for _, name := range []string{"qwen2", "gpt2", "starcoder2", "llama"} {
		t.Run(name, func(t *testing.T) {
			m, err := Load(filepath.Join(goldenDir, name), backend)
			require.NoError(t, err)
			ids, golden := readGolden(t, name)
			for _, opt := range []SaveOptions{{}, {MaxShardBytes: 100_000}, {DType: "BF16"}} {
				dir := t.TempDir()
				require.NoError(t, m.Save(dir, opt))
				if opt.MaxShardBytes > 0 {
					require.FileExists(t, filepath.Join(dir, "model.safetensors.index.json"))
				}
				m2, err := Load(dir, backend)
				require.NoError(t, err)
				require.Equal(t, m.Config, m2.Config)
				got, err := m2.Run(ids, Request{Hooks: []string{HookLogits}})
				require.NoError(t, err)
				d := maxAbsDiff(t, "logits", golden[HookLogits].Data, got[HookLogits].Data)
				tol := parityTol
				if opt.DType == "BF16" {
					tol = 0.5 // bf16 keeps 8 bits of mantissa; logits of this random model are O(5)
				}
				require.LessOrEqual(t, d, tol, "%+v", opt)
			}
		})
	}
}

func TestConfigValidation(t *testing.T) {
	_, err := ParseHFConfig([]byte(`{"model_type":"llama","vocab_size":10,"hidden_size":8,"intermediate_size":16,"num_hidden_layers":1,"num_attention_heads":3,"num_key_value_heads":2}`))
	require.ErrorContains(t, err, "num_kv_heads")
	_, err = ParseHFConfig([]byte(`{"model_type":"llama","vocab_size":10,"hidden_size":8,"intermediate_size":16,"num_hidden_layers":1,"num_attention_heads":2,"hidden_act":"mish"}`))
	require.ErrorContains(t, err, "activation")
	_, err = ParseHFConfig([]byte(`{"model_type":"llama","vocab_size":10,"hidden_size":8,"intermediate_size":16,"num_hidden_layers":1,"num_attention_heads":2,"rope_scaling":{"rope_type":"llama3","factor":8}}`))
	require.ErrorContains(t, err, "rope_scaling")
	c, err := ParseHFConfig([]byte(`{"model_type":"qwen2","vocab_size":10,"hidden_size":8,"intermediate_size":16,"num_hidden_layers":1,"num_attention_heads":2,"rope_parameters":{"rope_type":"default","rope_theta":1000000.0}}`))
	require.NoError(t, err)
	require.Equal(t, 1e6, c.RopeTheta, "transformers v5 rope_parameters")
	_, err = ParseHFConfig([]byte(`{"model_type":"qwen2","vocab_size":10,"hidden_size":8,"intermediate_size":16,"num_hidden_layers":1,"num_attention_heads":2,"rope_parameters":{"rope_type":"yarn","rope_theta":1000000.0,"factor":4}}`))
	require.ErrorContains(t, err, "rope_parameters")
	c, err = ParseHFConfig([]byte(`{"model_type":"llama","vocab_size":10,"hidden_size":8,"intermediate_size":16,"num_hidden_layers":1,"num_attention_heads":2}`))
	require.NoError(t, err)
	require.Equal(t, 2, c.NumKVHeads)
	require.Equal(t, 4, c.HeadDim)
	require.False(t, c.TiedEmbeddings)
	// HFConfig round-trips through the parser for every family.
	for _, name := range []string{"qwen2", "llama", "gpt2", "starcoder2"} {
		cfg, err := LoadConfig(filepath.Join(goldenDir, name))
		require.NoError(t, err)
		data, err := json.Marshal(cfg.HFConfig())
		require.NoError(t, err)
		back, err := ParseHFConfig(data)
		require.NoError(t, err)
		require.Equal(t, cfg, back, name)
	}
}
