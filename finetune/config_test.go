package finetune

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDefaultConfigValid(t *testing.T) {
	c := DefaultConfig()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.Layers != 4 || c.Hidden != 32 || c.Loss != LossNeuralNDCG || c.Temperature != 1 || !c.Standardize || c.Aggregate != "" {
		t.Errorf("defaults changed: %+v", c)
	}
}

// TestValidateNamesField: every invalid value is reported by its TOML name.
func TestValidateNamesField(t *testing.T) {
	cases := []struct {
		field string
		edit  func(c *Config)
	}{
		{"layers", func(c *Config) { c.Layers = 0 }},
		{"hidden", func(c *Config) { c.Hidden = -1 }},
		{"epochs", func(c *Config) { c.Epochs = 0 }},
		{"epochs", func(c *Config) { c.Epochs = math.MaxInt64 }},
		{"batch_size", func(c *Config) { c.BatchSize = 1 << 40 }},
		{"hidden", func(c *Config) { c.Hidden = 1 << 30 }},
		{"patience", func(c *Config) { c.Patience = math.MaxInt }},
		{"batch_size", func(c *Config) { c.BatchSize = 0 }},
		{"max_lines", func(c *Config) { c.MaxLines = 1 }},
		{"sinkhorn_iters", func(c *Config) { c.SinkhornIters = -1 }},
		{"relevance_window", func(c *Config) { c.RelevanceWindow = -1 }},
		{"patience", func(c *Config) { c.Patience = -2 }},
		{"loss", func(c *Config) { c.Loss = "lambdarank" }},
		{"aggregate", func(c *Config) { c.Aggregate = "first" }},
		{"graded_relevance", func(c *Config) { c.GradedRelevance = "linear" }},
		{"temperature", func(c *Config) { c.Temperature = 0 }},
		{"lr", func(c *Config) { c.LR = -1 }},
		{"weight_decay", func(c *Config) { c.WeightDecay = -0.1 }},
		{"beta1", func(c *Config) { c.Beta1 = 1 }},
		{"beta2", func(c *Config) { c.Beta2 = -0.5 }},
		{"eps", func(c *Config) { c.Eps = 0 }},
		{"grad_clip", func(c *Config) { c.GradClip = -1 }},
	}
	for _, tc := range cases {
		c := DefaultConfig()
		tc.edit(&c)
		err := c.Validate()
		if err == nil || !strings.HasPrefix(err.Error(), tc.field+" ") {
			t.Errorf("%s: err = %v", tc.field, err)
		}
	}
	c := DefaultConfig()
	for field, edit := range map[string]func(c *Config){
		"out_dir":          func(c *Config) {},
		"data.states_dir":  func(c *Config) { c.OutDir = "o" },
		"data.sae_dir":     func(c *Config) { c.OutDir, c.Data.StatesDir = "o", "s" },
		"data.hook":        func(c *Config) { c.OutDir, c.Data.StatesDir, c.Data.SAEDir, c.Data.Hook = "o", "s", "sae", "h" },
		"data.train_split": func(c *Config) { c.OutDir, c.Data.StatesDir, c.Data.SAEDir, c.Data.TrainSplit = "o", "s", "sae", "" },
	} {
		cc := c
		edit(&cc)
		if err := cc.ValidateData(); err == nil || !strings.Contains(err.Error(), field) {
			t.Errorf("%s: err = %v", field, err)
		}
	}
}

func TestLoadConfig(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "b.toml")
	os.WriteFile(path, []byte("loss = \"listnet\"\nhidden = 16\n[data]\nstates_dir = \"s\"\n"), 0o644)
	c, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	if c.Loss != LossListNet || c.Hidden != 16 || c.Layers != 4 || c.Data.StatesDir != "s" || c.Data.ValSplit != "validation" {
		t.Errorf("loaded %+v", c)
	}

	os.WriteFile(path, []byte("loss = \"listnet\"\n[data]\nstate_dir = \"s\"\n"), 0o644)
	if _, err := LoadConfig(path); err == nil || !strings.Contains(err.Error(), "data.state_dir") || !strings.Contains(err.Error(), path) {
		t.Errorf("unknown key: err = %v, want it to name data.state_dir and %s", err, path)
	}
	os.WriteFile(path, []byte("temperature = -1\n"), 0o644)
	if _, err := LoadConfig(path); err == nil || !strings.Contains(err.Error(), "temperature") || !strings.Contains(err.Error(), path) {
		t.Errorf("invalid value: err = %v", err)
	}
	if _, err := LoadConfig(filepath.Join(dir, "missing.toml")); err == nil {
		t.Error("missing file accepted")
	}
}

// TestExperimentConfigs: the shipped experiments/binding_*.toml load.
func TestExperimentConfigs(t *testing.T) {
	files, _ := filepath.Glob("../experiments/binding_*.toml")
	if len(files) == 0 {
		t.Skip("no experiments/binding_*.toml")
	}
	for _, f := range files {
		c, err := LoadConfig(f)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if err := c.ValidateData(); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}
