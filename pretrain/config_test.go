package pretrain

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestDefaultConfigIsThePapers(t *testing.T) {
	c := DefaultConfig()
	require.NoError(t, c.Validate())
	require.Equal(t, 128, c.Latents)
	require.Equal(t, 32, c.K)
	require.Equal(t, 2e-4, c.LR)
	require.Equal(t, 1.0, c.GradClip)
	require.Equal(t, 10, c.Epochs)
	require.Equal(t, 4, c.ColdStartEpochs)
	require.Equal(t, 2.0, c.Margin)
	require.True(t, c.InputNorm)
}

func TestLoadConfigErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
		return p
	}
	c, err := LoadConfig(write("ok.toml", "states_dir = \"s\"\nlatents_per_dim = 8\nk = 64\n"))
	require.NoError(t, err)
	require.Equal(t, 8, c.LatentsPerDim)
	require.Equal(t, 512, c.latentsFor(64))

	p := write("unknown.toml", "latents = 128\nlatent = 3\n")
	_, err = LoadConfig(p)
	require.ErrorContains(t, err, p)
	require.ErrorContains(t, err, "unknown key(s) latent")

	for body, want := range map[string]string{
		"k = 0\n":                                             "k must be > 0",
		"k = 200\n":                                           "k (200) must not exceed latents (128)",
		"b_pre_init = \"median\"\n":                           "b_pre_init must be",
		"lr = -1.0\n":                                         "lr must be a positive number",
		"margin = -1.0\n":                                     "margin must be a number >= 0",
		"contrast = \"infonce\"\n":                            "contrast must be \"hinge\" or \"supcon\"",
		"contrast_temperature = -0.1\n":                       "contrast_temperature must be a number >= 0",
		"split = \"dev\"\n":                                   "split must be",
		"cold_start_epochs = 20\n":                            "cold_start_epochs (20) exceeds epochs (10)",
		"shuffle_buffer = 10\n":                               "shuffle_buffer (10) must be >= batch_size (256)",
		"out_dir = \"\"\n":                                    "out_dir must be set",
		"batch_size = \"big\"\n":                              "batch_size",
		"aux_k = -1\ndead_after_lines = 0\n":                  "aux_k must be >= 0",
		"epochs = 9223372036854775807\n":                      "epochs must be at most 100000, got 9223372036854775807",
		"batch_size = 4611686018427387904\n":                  "batch_size must be at most 1048576",
		"latents = 1099511627776\n":                           "latents must be at most 16777216",
		"encoder_init_scale = -0.1\n":                         "encoder_init_scale must be a number in [0, 100]",
		"encoder_init_scale = nan\n":                          "encoder_init_scale must be a number in [0, 100]",
		"encoder_init_scale = 1e9\n":                          "encoder_init_scale must be a number in [0, 100]",
		"tied = true\nencoder_init_scale = 0.3\n":             "encoder_init_scale (0.3) applies to an untied encoder",
		"decoder_norm = \"sphere\"\n":                         "decoder_norm must be \"unit\" or \"free\", got \"sphere\"",
		"decoder_norm = \"free\"\ntied = true\n":              "decoder_norm = \"free\" needs an untied encoder",
		"decoder_init_norm = 0.5\n":                           "decoder_init_norm (0.5) applies to decoder_norm = \"free\" only",
		"decoder_norm = \"free\"\ndecoder_init_norm = -1.0\n": "decoder_init_norm must be a number in [0, 100]",
	} {
		p := write("bad.toml", body)
		_, err := LoadConfig(p)
		require.ErrorContains(t, err, want, body)
		require.ErrorContains(t, err, p, body)
	}
	_, err = LoadConfig(filepath.Join(dir, "missing.toml"))
	require.ErrorContains(t, err, "missing.toml")
}

// The shipped experiment files load.
func TestExperimentFiles(t *testing.T) {
	for _, name := range []string{"sae_default.toml", "sae_overcomplete.toml"} {
		_, err := LoadConfig(filepath.Join("..", "experiments", name))
		require.NoError(t, err, name)
	}
}
