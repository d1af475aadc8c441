// Package train pre-trains a decoder-only code LM (the models package's Llama-style blocks) on a
// packed token stream: AdamW without decay on norms and biases, linear warm-up then cosine decay,
// clipping by global gradient norm, periodic checkpoints that resume to the same trajectory, and
// validation loss per language.
package train

import (
	"fmt"
	"math"
)

// Config is the optimisation part of an LM training run. Every field is validated by Validate.
type Config struct {
	// Seed fixes the data order; the same seed and data give the same run.
	Seed uint64 `toml:"seed"`
	// Steps is the total number of optimizer steps.
	Steps int `toml:"steps"`
	// BatchSize is the number of sequences per step.
	BatchSize int `toml:"batch_size"`
	// SeqLen is the number of tokens per training sequence (each sequence reads SeqLen+1 tokens of
	// the packed stream: inputs and shifted targets).
	SeqLen int `toml:"seq_len"`
	// LR is the peak learning rate reached after WarmupSteps.
	LR float64 `toml:"lr"`
	// MinLRRatio is the final learning rate as a fraction of LR at the end of the cosine decay.
	MinLRRatio float64 `toml:"min_lr_ratio"`
	// WarmupSteps is the length of the linear warm-up from 0 to LR.
	WarmupSteps int `toml:"warmup_steps"`
	// WeightDecay is AdamW's decoupled decay, applied to matrices and embeddings only (never to norm
	// scales or biases).
	WeightDecay float64 `toml:"weight_decay"`
	// Beta1, Beta2, Eps are Adam's moment decay rates and denominator epsilon.
	Beta1 float64 `toml:"beta1"`
	Beta2 float64 `toml:"beta2"`
	Eps   float64 `toml:"eps"`
	// GradClip is the maximum global L2 norm of the gradient; 0 disables clipping.
	GradClip float64 `toml:"grad_clip"`
	// CheckpointEvery saves a resumable checkpoint every this many steps (0: only at the end).
	CheckpointEvery int `toml:"checkpoint_every"`
	// EvalEvery computes the validation loss every this many steps (0: only at the end).
	EvalEvery int `toml:"eval_every"`
	// EvalSequences is the number of validation sequences per language.
	EvalSequences int `toml:"eval_sequences"`
	// LogEvery prints/records the training loss every this many steps.
	LogEvery int `toml:"log_every"`
}

// Defaults are the settings of the shipped tiny code LM's run.
func Defaults() Config {
	return Config{Seed: 1, Steps: 2000, BatchSize: 16, SeqLen: 512, LR: 3e-3, MinLRRatio: 0.1, WarmupSteps: 100,
		WeightDecay: 0.1, Beta1: 0.9, Beta2: 0.95, Eps: 1e-8, GradClip: 1.0, CheckpointEvery: 100,
		EvalEvery: 250, EvalSequences: 16, LogEvery: 10}
}

// Validate reports the first invalid field by its TOML name.
func (c *Config) Validate() error {
	pos := []struct {
		name string
		v    int
	}{{"steps", c.Steps}, {"batch_size", c.BatchSize}, {"seq_len", c.SeqLen}, {"eval_sequences", c.EvalSequences}, {"log_every", c.LogEvery}}
	for _, p := range pos {
		if p.v <= 0 {
			return fmt.Errorf("train.%s must be > 0, got %d", p.name, p.v)
		}
	}
	nonNeg := []struct {
		name string
		v    int
	}{{"warmup_steps", c.WarmupSteps}, {"checkpoint_every", c.CheckpointEvery}, {"eval_every", c.EvalEvery}}
	for _, p := range nonNeg {
		if p.v < 0 {
			return fmt.Errorf("train.%s must be >= 0, got %d", p.name, p.v)
		}
	}
	switch {
	case !(c.LR > 0) || math.IsInf(c.LR, 0):
		return fmt.Errorf("train.lr must be a positive number, got %g", c.LR)
	case !(c.MinLRRatio >= 0 && c.MinLRRatio <= 1): // NaN fails every comparison
		return fmt.Errorf("train.min_lr_ratio must be in [0, 1], got %g", c.MinLRRatio)
	case !(c.WeightDecay >= 0) || math.IsInf(c.WeightDecay, 0):
		return fmt.Errorf("train.weight_decay must be a number >= 0, got %g", c.WeightDecay)
	case !(c.Beta1 >= 0 && c.Beta1 < 1):
		return fmt.Errorf("train.beta1 must be in [0, 1), got %g", c.Beta1)
	case !(c.Beta2 >= 0 && c.Beta2 < 1):
		return fmt.Errorf("train.beta2 must be in [0, 1), got %g", c.Beta2)
	case !(c.Eps > 0) || math.IsInf(c.Eps, 0):
		return fmt.Errorf("train.eps must be a positive number, got %g", c.Eps)
	case !(c.GradClip >= 0) || math.IsInf(c.GradClip, 0):
		return fmt.Errorf("train.grad_clip must be a number >= 0, got %g", c.GradClip)
	case c.WarmupSteps > c.Steps:
		return fmt.Errorf("train.warmup_steps (%d) must not exceed train.steps (%d)", c.WarmupSteps, c.Steps)
	}
	return nil
}

// LRAt is the learning rate of step (0-based): linear warm-up to LR over WarmupSteps, then cosine
// decay to LR*MinLRRatio at the last step.
func (c *Config) LRAt(step int) float64 {
	if step < c.WarmupSteps {
		return c.LR * float64(step+1) / float64(c.WarmupSteps)
	}
	span := c.Steps - c.WarmupSteps
	if span <= 1 {
		return c.LR
	}
	progress := float64(step-c.WarmupSteps) / float64(span-1)
	minLR := c.LR * c.MinLRRatio
	return minLR + 0.5*(c.LR-minLR)*(1+math.Cos(math.Pi*progress))
}
