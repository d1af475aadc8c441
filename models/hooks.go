package models

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Hook point names, in the TransformerLens spirit. Layer-indexed names are built with the
// functions below (ResidPost(5) == "blocks.5.resid_post").
const (
	// HookEmbed is the input of block 0: token embedding (+ learned positions for GPT-2).
	// Shape [batch, seq, dModel].
	HookEmbed = "embed"
	// HookFinalNorm is the residual stream after the final norm. Shape [batch, seq, dModel].
	HookFinalNorm = "final_norm"
	// HookLogits are the output logits. Shape [batch, seq, vocab].
	HookLogits = "logits"
	// HookTokenLogProb is log p(token t | tokens < t) for every position t; position 0 has no
	// prediction and holds NaN. Shape [batch, seq].
	HookTokenLogProb = "token_logprob"
	// HookTokenEntropy is the entropy (nats) of the predictive distribution that token t was drawn
	// from, p(. | tokens < t); position 0 holds NaN. Shape [batch, seq].
	HookTokenEntropy = "token_entropy"

	hookResidPre     = "resid_pre"
	hookResidPost    = "resid_post"
	hookAttnPattern  = "attn.pattern"
	hookAttnLookback = "attn.lookback"
)

// ResidPre names the input of block layer: "blocks.{L}.resid_pre". Shape [batch, seq, dModel].
func ResidPre(layer int) string { return fmt.Sprintf("blocks.%d.%s", layer, hookResidPre) }

// ResidPost names the output of block layer: "blocks.{L}.resid_post". Shape [batch, seq, dModel].
func ResidPost(layer int) string { return fmt.Sprintf("blocks.%d.%s", layer, hookResidPost) }

// AttnPattern names the attention probabilities of block layer: "blocks.{L}.attn.pattern".
// Shape [batch, heads, querySeq, keySeq].
func AttnPattern(layer int) string { return fmt.Sprintf("blocks.%d.%s", layer, hookAttnPattern) }

// AttnLookback names the attention lookback of block layer: "blocks.{L}.attn.lookback". For
// every query position t it is the attention mass, averaged over the heads, that t puts on key
// positions before a boundary Request.LookbackStart[b][t] (positions j < start): the share of
// attention spent on earlier context. It is reduced inside the graph (only [batch, seq] leaves
// it), and a Request asking for it must give LookbackStart. Shape [batch, seq].
func AttnLookback(layer int) string { return fmt.Sprintf("blocks.%d.%s", layer, hookAttnLookback) }

// Hook is a parsed hook name.
type Hook struct {
	// Name is the canonical name.
	Name string
	// Layer is the block index for per-block hooks, -1 otherwise.
	Layer int
	// Kind is the part after "blocks.{L}." for per-block hooks, or the whole name otherwise.
	Kind string
}

// HookSep joins the hooks of a concatenated line state, as in
// "blocks.7.resid_post+blocks.15.resid_post": the line's vectors at each hook, end to end, read
// as one state (an SAE over two layers). Extraction writes each hook's column; readers join them.
const HookSep = "+"

// HookParts splits a possibly concatenated hook into its hooks ("a+b" -> [a b], "a" -> [a]).
func HookParts(h string) []string { return strings.Split(h, HookSep) }

// ConcatStates joins a line's vectors at the parts of a concatenated hook, in order (the vector
// itself when there is one).
func ConcatStates(vs [][]float32) []float32 {
	if len(vs) == 1 {
		return vs[0]
	}
	return slices.Concat(vs...)
}

// ParseHook validates a hook name against a model with numLayers blocks.
func ParseHook(name string, numLayers int) (Hook, error) {
	switch name {
	case HookEmbed, HookFinalNorm, HookLogits, HookTokenLogProb, HookTokenEntropy:
		return Hook{Name: name, Layer: -1, Kind: name}, nil
	}
	rest, ok := strings.CutPrefix(name, "blocks.")
	if !ok {
		return Hook{}, fmt.Errorf("unknown hook %q (valid: %s)", name, validHooksHelp)
	}
	num, kind, ok := strings.Cut(rest, ".")
	layer, err := strconv.Atoi(num)
	if !ok || err != nil || num != strconv.Itoa(layer) {
		return Hook{}, fmt.Errorf("unknown hook %q: expected blocks.{L}.<kind> (valid: %s)", name, validHooksHelp)
	}
	switch kind {
	case hookResidPre, hookResidPost, hookAttnPattern, hookAttnLookback:
	default:
		return Hook{}, fmt.Errorf("unknown hook %q: kind %q is not one of resid_pre, resid_post, attn.pattern, attn.lookback", name, kind)
	}
	if layer < 0 || layer >= numLayers {
		return Hook{}, fmt.Errorf("hook %q: layer %d out of range [0, %d)", name, layer, numLayers)
	}
	return Hook{Name: name, Layer: layer, Kind: kind}, nil
}

const validHooksHelp = "embed, blocks.{L}.resid_pre, blocks.{L}.resid_post, blocks.{L}.attn.pattern, blocks.{L}.attn.lookback, final_norm, logits, token_logprob, token_entropy"

// plan is what one forward graph computes, derived from a Request.
type plan struct {
	hooks      []Hook // sorted by name, deduplicated
	lastLayer  int    // blocks [0, lastLayer] are computed; -1 for none
	patternAt  map[int]bool
	lookbackAt map[int]bool // layers whose attn.lookback is asked; the pass then takes LookbackStart
	needsHead  bool         // final norm
	needLogits bool         // output projection
	// keepPositions, when > 0, is the (bucketed) number of positions per row the per-token state
	// hooks keep (Request.Positions; the pass then takes a [batch, keepPositions] input).
	keepPositions int
	key           string
}

// withPositions returns a copy of p whose state hooks keep n positions per row.
func (p *plan) withPositions(n int) *plan {
	q := *p
	q.keepPositions = n
	q.key = fmt.Sprintf("%s|keep%d", p.key, n)
	if !pruneLastBlock { // another graph (benchmarks)
		q.key += "|unpruned"
	}
	return &q
}

// perTokenState says whether the hook is a per-token state vector, the hooks that
// Request.Positions gathers.
func (h Hook) perTokenState() bool {
	switch h.Kind {
	case HookEmbed, HookFinalNorm, hookResidPre, hookResidPost:
		return true
	}
	return false
}

// needsStart says whether the pass takes the LookbackStart input.
func (p *plan) needsStart() bool { return len(p.lookbackAt) > 0 }

func (p *plan) wants(name string) bool {
	for _, h := range p.hooks {
		if h.Name == name {
			return true
		}
	}
	return false
}

// makePlan validates the hooks and decides how far the forward pass must go. The pass never runs
// a block after the last one a hook needs. stopAtLayer, when > 0, is an upper bound in the
// TransformerLens sense (exclusive: blocks [0, stopAtLayer) may run); a hook that needs a later
// block is then an error.
func makePlan(cfg *Config, hooks []string, stopAtLayer int) (*plan, error) {
	if len(hooks) == 0 {
		return nil, fmt.Errorf("no hooks requested (valid: %s)", validHooksHelp)
	}
	if stopAtLayer < 0 || stopAtLayer > cfg.NumLayers {
		return nil, fmt.Errorf("stop_at_layer %d out of range [1, %d] (0 means no limit)", stopAtLayer, cfg.NumLayers)
	}
	p := &plan{lastLayer: -1, patternAt: map[int]bool{}, lookbackAt: map[int]bool{}}
	seen := map[string]bool{}
	for _, name := range hooks {
		h, err := ParseHook(name, cfg.NumLayers)
		if err != nil {
			return nil, err
		}
		if seen[h.Name] {
			continue
		}
		seen[h.Name] = true
		p.hooks = append(p.hooks, h)
		need := h.Layer
		switch h.Kind {
		case hookAttnPattern:
			p.patternAt[h.Layer] = true
		case hookAttnLookback:
			p.lookbackAt[h.Layer] = true
		case hookResidPre:
			need = h.Layer - 1
		case HookEmbed:
			need = -1
		case HookFinalNorm:
			need, p.needsHead = cfg.NumLayers-1, true
		case HookLogits, HookTokenLogProb, HookTokenEntropy:
			need, p.needsHead, p.needLogits = cfg.NumLayers-1, true, true
		}
		if stopAtLayer > 0 && need >= stopAtLayer {
			return nil, fmt.Errorf("hook %q needs block %d, but stop_at_layer %d runs only blocks [0, %d)", h.Name, need, stopAtLayer, stopAtLayer)
		}
		p.lastLayer = max(p.lastLayer, need)
	}
	sort.Slice(p.hooks, func(i, j int) bool { return p.hooks[i].Name < p.hooks[j].Name })
	names := make([]string, len(p.hooks))
	for i, h := range p.hooks {
		names[i] = h.Name
	}
	p.key = strings.Join(names, ",")
	return p, nil
}
