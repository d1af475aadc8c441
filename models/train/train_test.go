package train

import (
	"context"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/stretchr/testify/require"

	"github.com/pttrust/pttrust/models"
)

func tinyConfig() *models.Config {
	return &models.Config{ModelType: "llama", Family: models.FamilyLlama, VocabSize: 32, DModel: 32, NumLayers: 2,
		NumHeads: 4, NumKVHeads: 2, HeadDim: 8, DMLP: 64, MaxPositions: 64, NormEps: 1e-5, Activation: "silu",
		Rotary: true, RopeTheta: 10000, QKVBias: true, TiedEmbeddings: true}
}

// patternStream is learnable: eight short random "words" (fixed) repeated in an order drawn
// from seed.
func patternStream(seed uint64, n int) *Stream {
	rng := rand.New(rand.NewPCG(99, 7))
	words := make([][]int32, 8)
	for i := range words {
		words[i] = make([]int32, 3+rng.IntN(4))
		for j := range words[i] {
			words[i][j] = int32(1 + rng.IntN(31))
		}
	}
	rng = rand.New(rand.NewPCG(seed, 7))
	var toks []int32
	for len(toks) < n {
		toks = append(toks, words[rng.IntN(len(words))]...)
		toks = append(toks, 0)
	}
	return &Stream{Tokens: toks[:n]}
}

func tinyTrainConfig() Config {
	c := Defaults()
	c.Steps, c.BatchSize, c.SeqLen, c.LR, c.WarmupSteps = 40, 4, 32, 1e-2, 5
	c.CheckpointEvery, c.EvalEvery, c.EvalSequences, c.LogEvery = 10, 20, 4, 1
	return c
}

func newTiny(t testing.TB, dir string, cfg Config) *Trainer {
	backend, err := models.NewBackend("go")
	require.NoError(t, err)
	m, err := models.NewRandom(tinyConfig(), backend, 3)
	require.NoError(t, err)
	tr, err := New(m, cfg, dir, patternStream(1, 20000), map[string]*Stream{"synthetic": patternStream(2, 2000)})
	require.NoError(t, err)
	return tr
}

func TestTrainingLearns(t *testing.T) {
	tr := newTiny(t, "", tinyTrainConfig())
	require.NoError(t, tr.Run(context.Background()))
	log := tr.Log()
	require.Len(t, log, 40)
	first, last := log[0].Loss, log[len(log)-1].Loss
	t.Logf("loss %.3f -> %.3f", first, last)
	require.InDelta(t, math.Log(32), first, 0.3, "a fresh model is near uniform")
	require.Less(t, last, first*0.7, "loss must fall: %.3f -> %.3f", first, last)
	ev := tr.Evals()
	require.Len(t, ev, 2)
	require.Less(t, ev[1].Loss, ev[0].Loss, "held-out loss falls too")
	require.Less(t, ev[1].Loss, 1.6)
}

// One AdamW step from zero moments is w' = w - lr * (g/(|g|+eps) + wd*w) with decay, and without
// the wd term for norms and biases: checked against gradients computed separately.
func TestAdamWFirstStepAndNoDecay(t *testing.T) {
	cfg := tinyTrainConfig()
	cfg.WeightDecay, cfg.GradClip = 0.5, 0
	tr := newTiny(t, "", cfg)
	m := tr.Model
	batch := tr.batch(0)
	params := m.Config.Params()
	before := map[string][]float32{}
	for _, p := range params {
		before[p.Path()] = tensors.MustCopyFlatData[float32](m.Store.GetVariable(p.Path()).MustValue())
	}
	gradExec, err := model.NewExec(m.Backend, m.Store, func(scope *model.Scope, windows *Node) []*Node {
		scope.SetTraining(windows.Graph(), true)
		loss := lossGraph(m.Config, scope, windows)
		nodes := make([]*Node, len(params))
		for i, p := range params {
			nodes[i] = m.Store.GetVariable(p.Path()).NodeValue(windows.Graph())
		}
		return Gradient(loss, nodes...)
	})
	require.NoError(t, err)
	grads, err := gradExec.Call(batch)
	require.NoError(t, err)
	lr := 0.01
	_, err = tr.exec.Call(batch, float32(lr), float32(1))
	require.NoError(t, err)
	checkedDecay, checkedNoDecay := 0, 0
	for i, p := range params {
		g := tensors.MustCopyFlatData[float32](grads[i])
		after := tensors.MustCopyFlatData[float32](m.Store.GetVariable(p.Path()).MustValue())
		for j, w := range before[p.Path()] {
			upd := float64(g[j]) / (math.Abs(float64(g[j])) + cfg.Eps)
			if !p.NoDecay {
				upd += cfg.WeightDecay * float64(w)
			}
			require.InDelta(t, float64(w)-lr*upd, float64(after[j]), 2e-5, "%s[%d]", p.Path(), j)
		}
		if p.NoDecay {
			checkedNoDecay++
		} else {
			checkedDecay++
		}
	}
	require.Greater(t, checkedDecay, 0)
	require.Greater(t, checkedNoDecay, 0)
}

func TestSchedule(t *testing.T) {
	c := Config{LR: 1, MinLRRatio: 0.1, WarmupSteps: 10, Steps: 110}
	require.InDelta(t, 0.1, c.LRAt(0), 1e-12)
	require.InDelta(t, 1.0, c.LRAt(9), 1e-12)
	require.InDelta(t, 1.0, c.LRAt(10), 1e-12)
	require.InDelta(t, 0.55, c.LRAt(59), 0.02)
	require.InDelta(t, 0.1, c.LRAt(109), 1e-12)
	bad := Defaults()
	bad.Beta2 = 1
	require.ErrorContains(t, bad.Validate(), "train.beta2")
}

// A run killed with SIGKILL and resumed from its last checkpoint reproduces the loss curve of an
// uninterrupted run exactly.
func TestKillAndResume(t *testing.T) {
	if dir := os.Getenv("PTTRUST_TRAIN_CHILD"); dir != "" {
		tr := newTiny(t, dir, killConfig())
		tr.Progress = nil
		_ = tr.Run(context.Background())
		return
	}
	cfg := killConfig()
	ref := newTiny(t, "", cfg)
	require.NoError(t, ref.Run(context.Background()))

	dir := t.TempDir()
	child := exec.Command(os.Args[0], "-test.run", "^TestKillAndResume$")
	child.Env = append(os.Environ(), "PTTRUST_TRAIN_CHILD="+dir)
	require.NoError(t, child.Start())
	state := filepath.Join(dir, StateFile)
	deadline := time.Now().Add(2 * time.Minute)
	for {
		if _, err := os.Stat(state); err == nil {
			break
		}
		require.True(t, time.Now().Before(deadline), "child never checkpointed")
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(40 * time.Millisecond) // let it run past the checkpoint
	require.NoError(t, child.Process.Signal(syscall.SIGKILL))
	_ = child.Wait()

	resumed := newTiny(t, dir, cfg)
	killedAt := resumed.Step()
	require.Greater(t, killedAt, 0)
	require.Less(t, killedAt, cfg.Steps, "the child must be killed before finishing; make steps slower or more")
	t.Logf("killed after checkpoint at step %d of %d", killedAt, cfg.Steps)
	require.NoError(t, resumed.Run(context.Background()))
	require.Equal(t, ref.Log(), resumed.Log(), "killed at step %d", killedAt)
	require.Equal(t, ref.Evals(), resumed.Evals())
}

func killConfig() Config {
	c := tinyTrainConfig()
	c.Steps, c.CheckpointEvery, c.EvalEvery = 400, 25, 100
	return c
}
