package experiments

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pttrust/pttrust/finetune"
	"github.com/pttrust/pttrust/pretrain"
	"github.com/pttrust/pttrust/states/extract"
)

// shippedBundle is the default assessor bundle of the repository.
var shippedBundle = filepath.Join("defaultassessor", "bundle")

// FuzzLoadAssessor feeds arbitrary cfg.json, sae/cfg.json, binding/cfg.json and examples.json
// files, beside the shipped bundle's weights, to LoadAssessor; weights selects the weights: the
// shipped ones, the SAE's weights as the binding's, or no SAE weights. Loading must never panic:
// it returns an error naming the file at fault, or an assessor whose SAE tensors and binding
// input match their configurations, which scores a line (of zero states) without panicking into
// one score. Seeded with the shipped bundle; the corpus is kept in
// testdata/fuzz/FuzzLoadAssessor.
func FuzzLoadAssessor(f *testing.F) {
	read := func(name string) []byte {
		data, err := os.ReadFile(filepath.Join(shippedBundle, name))
		if err != nil {
			f.Fatal(err)
		}
		return data
	}
	cfg, sae, binding := read(BundleConfigName), read(filepath.Join(BundleSAEDir, pretrain.ConfigFile)), read(filepath.Join(BundleBindingDir, finetune.ConfigFile))
	var ex []json.RawMessage
	if err := json.Unmarshal(read(BundleExamplesName), &ex); err != nil {
		f.Fatal(err)
	}
	examples, _ := json.Marshal(ex[:2]) // two latents' examples: the seed stays small
	f.Add(cfg, sae, binding, examples, uint8(0))
	f.Add(cfg, sae, binding, []byte(nil), uint8(0))
	f.Add(cfg, sae, binding, examples, uint8(1))
	f.Add(cfg, sae, binding, examples, uint8(2))
	f.Add([]byte(`{"hook": "blocks.1.resid_post", "threshold": 0.5, "features": {"token_stats": true, "context": true}}`), sae, binding, []byte(`[[{"line": -1}], null]`), uint8(0))
	f.Add([]byte(`{"hook": "blocks.1.resid_post", "features": {"token_stats": true}, "flags": {"threshold": 1e308}}`), sae, []byte(`{"format": "pttrust.binding/1", "extra": 1}`), []byte(`{}`), uint8(0))
	f.Add([]byte(`{"hook": ""}`), []byte(`{"architecture": "topk", "d_in": 256, "d_sae": 128, "k": 0}`), binding, examples, uint8(0))

	f.Fuzz(func(t *testing.T, cfg, sae, binding, examples []byte, weights uint8) {
		dir := t.TempDir()
		files := map[string][]byte{BundleConfigName: cfg, filepath.Join(BundleSAEDir, pretrain.ConfigFile): sae,
			filepath.Join(BundleBindingDir, finetune.ConfigFile): binding}
		if len(examples) > 0 {
			files[BundleExamplesName] = examples
		}
		for name, data := range files {
			writeFile(t, filepath.Join(dir, name), data)
		}
		saeW := filepath.Join(BundleSAEDir, pretrain.WeightsFile)
		bindW := filepath.Join(BundleBindingDir, finetune.WeightsFile)
		links := map[string]string{saeW: saeW, bindW: bindW}
		switch weights % 3 {
		case 1:
			links[bindW] = saeW
		case 2:
			delete(links, saeW)
		}
		for name, target := range links {
			abs, err := filepath.Abs(filepath.Join(shippedBundle, target))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(abs, filepath.Join(dir, name)); err != nil {
				t.Fatal(err)
			}
		}

		a, err := LoadAssessor(dir)
		if err != nil {
			named := false
			for _, name := range []string{BundleConfigName, filepath.Join(BundleSAEDir, pretrain.ConfigFile), filepath.Join(BundleBindingDir, finetune.ConfigFile),
				BundleExamplesName, saeW, bindW} {
				named = named || strings.Contains(err.Error(), filepath.Join(dir, name))
			}
			if !named {
				t.Fatalf("error names no file of the bundle: %v", err)
			}
			return
		}
		c := a.SAE.Config
		if a.Info.Hook == "" || len(a.SAE.WEnc) != c.DIn*c.DSAE || len(a.SAE.WDec) != c.DIn*c.DSAE || len(a.SAE.BEnc) != c.DSAE || len(a.SAE.BDec) != c.DIn {
			t.Fatalf("accepted bundle with hook %q and SAE tensors that do not match d_in %d, d_sae %d", a.Info.Hook, c.DIn, c.DSAE)
		}
		if a.Binding.InputDim != a.Info.Features.dim(c.DSAE) {
			t.Fatalf("binding reads %d features, the bundle makes %d", a.Binding.InputDim, a.Info.Features.dim(c.DSAE))
		}
		z := a.SAE.EncodeBatch([][]float32{make([]float32, c.DIn)})
		scores := a.Binding.Score(composeFeatures(a.Info.Features, z, []extract.Row{{TokenCount: 1}}, []span{{0, 1}}))
		if len(scores) != 1 {
			t.Fatalf("%d scores for one line", len(scores))
		}
		_ = scores[0] >= a.flagThreshold()
	})
}

// writeFile writes data to p, making its folder.
func writeFile(t *testing.T, p string, data []byte) {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
}
