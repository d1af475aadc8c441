package models

import (
	"fmt"
	"math"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

const int32Type = dtypes.Int32

// block is one pre-norm decoder block: x + attn(norm(x)), then + mlp(norm(x)).
// x: [batch, seq, d]; returns [batch, seq, d] and the attention captures that want asks for.
// With keep ([batch, P] int32 positions, nil for all) only those positions leave the block: the
// attention still reads every position, but its output projection, the residual and the MLP run
// on the kept rows alone, returning [batch, P, d] (the last block of a states pass).
func block(cfg *Config, scope *model.Scope, x *Node, rope *rotary, want attnWant, keep *Node) (*Node, attnCaptures) {
	a, caps := selfAttention(cfg, scope.In("attn"), norm(cfg, scope.In("attn_norm"), x), rope, want, keep)
	if keep != nil {
		x = gatherPositions(x, keep)
	}
	x = Add(x, a)
	x = Add(x, mlp(cfg, scope.In("mlp"), norm(cfg, scope.In("mlp_norm"), x)))
	return x, caps
}

// pruneLastBlock lets a states pass with Positions run its last block on the kept rows (block's
// keep); benchmarks turn it off to measure the full block beside it.
var pruneLastBlock = true

// embed looks up token embeddings (plus learned positions for GPT-2).
// ids: [batch, seq] int32; returns x: [batch, seq, d] and the token table [vocab, d].
func embed(cfg *Config, scope *model.Scope, ids *Node) (x, table *Node) {
	g := ids.Graph()
	seq := ids.Shape().Dim(1)
	table = weight(scope, g, "tokens", cfg.VocabSize, cfg.DModel)
	x = Gather(table, InsertAxes(ids, -1)) // [batch, seq, d]
	if !cfg.Rotary {
		pos := weight(scope, g, "positions", cfg.MaxPositions, cfg.DModel)
		pos = Slice(pos, AxisRange(0, seq), AxisRange()) // [seq, d]
		x = Add(x, InsertAxes(pos, 0))
	}
	return x, table
}

// forward builds the graph of one pass and returns the requested captures by hook name.
// ids: [batch, seq] int32; start: [batch, seq] int32, the lookback boundaries (nil unless the
// plan has attn.lookback hooks); pos: [batch, keep] int32, the positions the state hooks keep
// (nil: every position).
func forward(cfg *Config, scope *model.Scope, ids, start, pos *Node, p *plan) map[string]*Node {
	g := ids.Graph()
	seq := ids.Shape().Dim(1)
	out := make(map[string]*Node, len(p.hooks))
	// The last block of a pass that keeps some positions and computes no head gives its
	// resid_post at those positions only (block's keep).
	pruneLast := pos != nil && !p.needsHead && pruneLastBlock
	defer func() {
		if pos == nil {
			return
		}
		for _, h := range p.hooks {
			if h.perTokenState() && !(pruneLast && h.Name == ResidPost(p.lastLayer)) {
				out[h.Name] = gatherPositions(out[h.Name], pos)
			}
		}
	}()
	x, table := embed(cfg, scope.In("embed"), ids)
	if p.wants(HookEmbed) {
		out[HookEmbed] = x
	}
	var rope *rotary
	if cfg.Rotary {
		rope = newRotary(g, cfg, seq)
	}
	for l := 0; l <= p.lastLayer; l++ {
		if name := ResidPre(l); p.wants(name) {
			out[name] = x
		}
		want := attnWant{pattern: p.patternAt[l]}
		if p.lookbackAt[l] {
			want.start = start
		}
		var keep *Node
		if pruneLast && l == p.lastLayer {
			keep = pos
		}
		var caps attnCaptures
		x, caps = block(cfg, scope.In("layer_%d", l), x, rope, want, keep)
		if caps.pattern != nil {
			out[AttnPattern(l)] = caps.pattern
		}
		if caps.lookback != nil {
			out[AttnLookback(l)] = caps.lookback
		}
		if name := ResidPost(l); p.wants(name) {
			out[name] = x
		}
	}
	if !p.needsHead {
		return out
	}
	x = norm(cfg, scope.In("final_norm"), x)
	if p.wants(HookFinalNorm) {
		out[HookFinalNorm] = x
	}
	if !p.needLogits {
		return out
	}
	var logits *Node // [batch, seq, vocab]
	head := scope.In("lm_head")
	headPath := model.JoinPath(head.Scope(), "weights")
	if cfg.TiedEmbeddings {
		headPath = model.JoinPath(scope.Scope(), "embed", "tokens")
	}
	if w := ioWeight(scope, g, headPath, x.Shape().Size()/cfg.DModel, cfg.DModel, cfg.VocabSize); w != nil {
		logits = Einsum("bsd,dv->bsv", x, w) // the [d, vocab] copy (iolayout.go)
	} else {
		w := table
		if !cfg.TiedEmbeddings {
			w = weight(head, g, "weights", cfg.VocabSize, cfg.DModel)
		}
		logits = Einsum("bsd,vd->bsv", x, w)
	}
	if p.wants(HookLogits) {
		out[HookLogits] = logits
	}
	if p.wants(HookTokenLogProb) || p.wants(HookTokenEntropy) {
		lp, ent := tokenStats(logits, ids, p.wants(HookTokenLogProb), p.wants(HookTokenEntropy))
		if lp != nil {
			out[HookTokenLogProb] = lp
		}
		if ent != nil {
			out[HookTokenEntropy] = ent
		}
	}
	return out
}

// gatherPositions keeps, per row, the given positions of a per-token state.
// x: [batch, seq, d]; pos: [batch, keep] int32; returns [batch, keep, d].
func gatherPositions(x, pos *Node) *Node {
	batch, keep := pos.Shape().Dim(0), pos.Shape().Dim(1)
	rows := Iota(x.Graph(), shapes.Make(dtypes.Int32, batch, keep, 1), 0)                 // [batch, keep, 1]
	at := Concatenate([]*Node{rows, ExpandAxes(ConvertDType(pos, dtypes.Int32), -1)}, -1) // [batch, keep, 2]
	return Gather(x, at)                                                                  // [batch, keep, d]
}

// tokenStats returns, aligned with the tokens, log p(ids[t] | ids[<t]) and the entropy of that
// predictive distribution (each only when asked, else nil); position 0 holds NaN. Both share
// one exp over the vocabulary: with z = logits - max and S = Σ exp(z), log p(v) = z_v - log S
// and the entropy is log S - Σ exp(z)·z / S. The next token's z is gathered, not picked with a
// [batch, seq, vocab] one-hot.
// logits: [batch, seq, vocab]; ids: [batch, seq]; returns two [batch, seq].
func tokenStats(logits, ids *Node, wantLogProb, wantEntropy bool) (logProb, entropy *Node) {
	g := logits.Graph()
	batch, seq := ids.Shape().Dim(0), ids.Shape().Dim(1)
	z := Sub(logits, ReduceAndKeep(logits, ReduceMax, -1))          // [batch, seq, vocab]
	e := Exp(z)                                                     // [batch, seq, vocab]
	sum := ReduceSum(e, -1)                                         // [batch, seq]
	logSum := Log(sum)                                              // [batch, seq]
	pad := BroadcastToDims(Const(g, float32(math.NaN())), batch, 1) // [batch, 1]
	if seq == 1 {
		if wantLogProb {
			logProb = pad
		}
		if wantEntropy {
			entropy = pad
		}
		return logProb, entropy
	}
	head := func(x *Node) *Node { return Slice(x, AxisRange(), AxisRange(0, seq-1)) } // positions predicting 1..seq-1
	if wantLogProb {
		idxShape := shapes.Make(dtypes.Int32, batch, seq-1, 1)
		next := ExpandAxes(ConvertDType(Slice(ids, AxisRange(), AxisRange(1, seq)), dtypes.Int32), -1) // [batch, seq-1, 1]
		at := Concatenate([]*Node{Iota(g, idxShape, 0), Iota(g, idxShape, 1), next}, -1)               // [batch, seq-1, 3]
		picked := Gather(z, at)                                                                        // [batch, seq-1]
		logProb = Concatenate([]*Node{pad, Sub(picked, head(logSum))}, 1)
	}
	if wantEntropy {
		ent := Sub(logSum, Div(ReduceSum(Mul(e, z), -1), sum)) // [batch, seq]
		entropy = Concatenate([]*Node{pad, head(ent)}, 1)
	}
	return logProb, entropy
}

// checkSeq rejects inputs the model cannot take.
func checkSeq(cfg *Config, seq int) error {
	if seq <= 0 {
		return fmt.Errorf("empty input sequence")
	}
	if !cfg.Rotary && seq > cfg.MaxPositions {
		return fmt.Errorf("sequence of %d tokens exceeds the model's %d learned positions", seq, cfg.MaxPositions)
	}
	return nil
}

// BuildLogits builds the full forward pass for training: ids [batch, seq] int32 -> logits
// [batch, seq, vocab]. Variables are created (with the scope's initializer) when absent.
func BuildLogits(cfg *Config, scope *model.Scope, ids *Node) *Node {
	p := &plan{hooks: []Hook{{Name: HookLogits, Layer: -1, Kind: HookLogits}}, lastLayer: cfg.NumLayers - 1,
		patternAt: map[int]bool{}, lookbackAt: map[int]bool{}, needsHead: true, needLogits: true, key: HookLogits}
	return forward(cfg, scope, ids, nil, nil, p)[HookLogits]
}
