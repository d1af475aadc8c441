package experiments

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pttrust/pttrust/models"
)

// An experiment whose hook concatenates two layers ("a+b") extracts both, trains the SAE on the
// joined states (twice d_model), binds and evaluates on them, and its assessor scores files.
func TestRunConcatenatedHook(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end run (about 40 s): skipped with -short")
	}
	cfg := tinyConfig(t)
	cfg.States.Hook = "blocks.1.resid_post+blocks.4.resid_post"
	cfg.Data.FilesPerLanguage = 14
	cfg.Pretrain.Epochs, cfg.Pretrain.ColdStartEpochs = 3, 1
	cfg.Binding.Epochs = 10
	cfg.Eval.Cross = []string{"language"}
	var log strings.Builder
	res, err := Run(context.Background(), cfg, &log)
	require.NoError(t, err, log.String())
	require.NotEmpty(t, res.Main)

	a, err := LoadAssessor(filepath.Join(cfg.OutDir, AssessorDir))
	require.NoError(t, err)
	require.Equal(t, cfg.States.Hook, a.Info.Hook)
	require.Equal(t, 2*256, a.SAE.Config.DIn, "tinycoder's d_model, twice")
	require.Contains(t, log.String(), "pretrain: training a TopK SAE: 512 -> ")
	testScore(t, filepath.Join(cfg.OutDir, AssessorDir))

	// An assessor reading a concatenated hook refuses a model whose states do not fit it.
	require.Equal(t, []string{"blocks.1.resid_post", "blocks.4.resid_post"}, models.HookParts(cfg.States.Hook))
	bad := copyBundle(t, "blocks.1.resid_post+blocks.4.resid_post")
	opts := DefaultScoreOptions()
	opts.AssessorDir = bad
	_, err = NewScorer(opts)
	require.ErrorContains(t, err, "reads 256-dim states")
	require.ErrorContains(t, err, "gives 512")
}

// Each part of a concatenated hook is checked; extra hooks are single hooks.
func TestConcatenatedHookConfig(t *testing.T) {
	c := Default()
	c.States.Hook = "blocks.1.resid_post+blocks.4.resid_post"
	require.NoError(t, c.Validate())
	c.States.Hook = "blocks.1.resid_post+nope"
	require.ErrorContains(t, c.Validate(), `unknown hook "nope"`)
	c.States.Hook = ""
	c.States.ExtraHooks = []string{"blocks.1.resid_post+blocks.4.resid_post"}
	require.ErrorContains(t, c.Validate(), "states.extra_hooks")
}
