// Package models holds decoder-only transformers written with GoMLX graph ops (the Llama/Qwen2
// family and the GPT-2/StarCoder2 family), their Hugging Face checkpoint mapping, and a forward
// pass that returns hidden states by hook name.
package models

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/pttrust/pttrust/models/safetensors"
)

// Model is a transformer whose weights live in a GoMLX store on one backend.
type Model struct {
	// Config is the architecture.
	Config *Config
	// Store holds the weights as GoMLX variables (paths from Config.Params).
	Store *model.Store
	// Backend runs the graphs.
	Backend compute.Backend
	// Source says where the weights came from (a directory, or "random(seed=N)").
	Source string

	mu    sync.Mutex
	execs map[string]*model.Exec // by plan and input shape
	lru   []string               // keys of execs, least recently used first
	io    bool                   // the store holds the [in, out] inference copies (iolayout.go)
}

// Load reads config.json and the safetensors weights (single or sharded) of a Hugging Face
// checkpoint directory. Weights in F16/BF16 are converted to float32. Every expected tensor must
// be present with the expected shape, and no unexpected tensor may be present (known buffers such
// as GPT-2's attn.bias masks are ignored); the error lists each problem by tensor name.
func Load(dir string, backend compute.Backend) (*Model, error) {
	cfg, err := LoadConfig(dir)
	if err != nil {
		return nil, err
	}
	if !fileExists(filepath.Join(dir, safetensors.SingleFileName)) && !fileExists(filepath.Join(dir, safetensors.IndexFileName)) {
		return nil, fmt.Errorf("models: %s holds no weights: expected %s or %s", dir, safetensors.SingleFileName, safetensors.IndexFileName)
	}
	ckpt, err := safetensors.OpenDir(dir)
	if err != nil {
		return nil, fmt.Errorf("models: %w", err)
	}
	defer ckpt.Close()

	params := cfg.Params()
	prefix := detectPrefix(cfg, ckpt.Names())
	if err := checkTensors(dir, ckpt, params, prefix); err != nil {
		return nil, err
	}
	store := model.NewStore()
	for _, p := range params {
		data, _, err := ckpt.Float32(prefix + p.HF)
		if err != nil {
			return nil, fmt.Errorf("models: %w", err)
		}
		if _, err := store.CreateVariable(p.Path(), tensors.FromFlatDataAndDimensions(data, p.Shape...)); err != nil {
			return nil, fmt.Errorf("models: %s: tensor %s: %w", dir, p.HF, err)
		}
	}
	return &Model{Config: cfg, Store: store, Backend: backend, Source: dir, execs: map[string]*model.Exec{}}, nil
}

// detectPrefix handles GPT-2 checkpoints saved from GPT2LMHeadModel ("transformer.h.0...").
func detectPrefix(cfg *Config, names []string) string {
	if cfg.ModelType != "gpt2" {
		return ""
	}
	for _, n := range names {
		if n == "transformer.wte.weight" {
			return "transformer."
		}
	}
	return ""
}

// checkTensors compares the checkpoint's tensors with the parameters the config implies.
func checkTensors(dir string, ckpt *safetensors.Checkpoint, params []Param, prefix string) error {
	var problems []string
	expected := map[string]bool{}
	for _, p := range params {
		name := prefix + p.HF
		expected[name] = true
		info, _, ok := ckpt.Info(name)
		if !ok {
			problems = append(problems, fmt.Sprintf("missing tensor %s (shape %v)", name, p.Shape))
			continue
		}
		if !slices.Equal(info.Shape, p.Shape) {
			problems = append(problems, fmt.Sprintf("tensor %s has shape %v, config.json implies %v", name, info.Shape, p.Shape))
		}
	}
	for _, n := range ckpt.Names() {
		if expected[n] || ignoredBuffers.MatchString(n) {
			continue
		}
		if prefix == "" && n == "lm_head.weight" {
			problems = append(problems, "unexpected tensor lm_head.weight: config.json says the embeddings are tied")
			continue
		}
		problems = append(problems, fmt.Sprintf("unexpected tensor %s", n))
	}
	if len(problems) == 0 {
		return nil
	}
	sort.Strings(problems)
	const maxShown = 20
	more := ""
	if len(problems) > maxShown {
		more = fmt.Sprintf("\n  ... and %d more", len(problems)-maxShown)
		problems = problems[:maxShown]
	}
	return fmt.Errorf("models: checkpoint %s does not match its config.json:\n  %s%s", dir, strings.Join(problems, "\n  "), more)
}

// NewRandom makes a model with freshly initialised weights, deterministic for a seed: linear and
// embedding weights ~ N(0, std²) with std = 0.02 (GPT-2/Llama convention), norm scales 1, biases
// and norm offsets 0.
func NewRandom(cfg *Config, backend compute.Backend, seed uint64) (*Model, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("models: %w", err)
	}
	rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	store := model.NewStore()
	for _, p := range cfg.Params() {
		data := make([]float32, p.Size())
		switch p.Name {
		case "scale":
			for i := range data {
				data[i] = 1
			}
		case "biases", "offset":
		default:
			for i := range data {
				data[i] = float32(rng.NormFloat64() * 0.02)
			}
		}
		if _, err := store.CreateVariable(p.Path(), tensors.FromFlatDataAndDimensions(data, p.Shape...)); err != nil {
			return nil, fmt.Errorf("models: %w", err)
		}
	}
	return &Model{Config: cfg, Store: store, Backend: backend, Source: fmt.Sprintf("random(seed=%d)", seed),
		execs: map[string]*model.Exec{}}, nil
}

// Request says what a forward pass must return.
type Request struct {
	// Hooks are the hook names to capture (see ParseHook); only these are computed and kept.
	Hooks []string
	// StopAtLayer, when > 0, caps the pass at blocks [0, StopAtLayer) (TransformerLens semantics);
	// a hook needing a later block is an error. The pass never runs blocks after the last one the
	// hooks need, so this is a guard more than an optimisation.
	StopAtLayer int
	// LookbackStart gives, per row and token, the boundary of the attn.lookback hooks: the mass
	// on key positions before LookbackStart[b][t] (values in [0, len(row)]). Required when an
	// attn.lookback hook is asked for, with one value per token of each row; an error otherwise.
	LookbackStart [][]int32
	// Positions, when set (one list per row), keeps only these positions of every per-token
	// state hook (embed, blocks.{L}.resid_pre, blocks.{L}.resid_post, final_norm): row b of
	// such an output holds position Positions[b][i] at index i, [batch, P, d] with P the
	// longest list (a shorter list's extra entries are position 0). The gather runs in the
	// graph, so only the kept vectors are copied out (a whole [batch, seq, d] state costs a pass
	// ~8 % on small models). Token statistics, logits and attention hooks stay per token.
	Positions [][]int32
}

// Array is a dense row-major float32 tensor returned to Go.
type Array struct {
	Shape []int
	Data  []float32
}

// At returns the element at the given indices.
func (a *Array) At(idx ...int) float32 {
	off := 0
	for i, d := range a.Shape {
		off = off*d + idx[i]
	}
	return a.Data[off]
}

// Row returns the contiguous slice of the last axis at the given leading indices.
func (a *Array) Row(idx ...int) []float32 {
	off := 0
	for i := range idx {
		off = off*a.Shape[i] + idx[i]
	}
	n := 1
	for _, d := range a.Shape[len(idx):] {
		n *= d
	}
	return a.Data[off*n : (off+1)*n]
}

// Run executes one forward pass over a batch of token sequences. Rows shorter than the longest are
// padded on the right with token 0; because attention is causal, padding never changes the values
// at real positions. Internally the batch and sequence axes are padded further, to shape buckets
// (see BucketLen), so that a few compiled graphs serve every input; the returned arrays are
// trimmed back to [len(ids), longest row, ...].
func (m *Model) Run(ids [][]int32, req Request) (map[string]*Array, error) {
	p, err := makePlan(m.Config, req.Hooks, req.StopAtLayer)
	if err != nil {
		return nil, fmt.Errorf("models: %w", err)
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("models: empty batch")
	}
	seq := 0
	for _, row := range ids {
		seq = max(seq, len(row))
	}
	if err := checkSeq(m.Config, seq); err != nil {
		return nil, fmt.Errorf("models: %w", err)
	}
	padSeq := BucketLen(seq)
	if !m.Config.Rotary {
		padSeq = min(padSeq, m.Config.MaxPositions)
	}
	padBatch := BucketLen(len(ids))
	flat := make([]int32, padBatch*padSeq)
	for b, row := range ids {
		for t, id := range row {
			if id < 0 || int(id) >= m.Config.VocabSize {
				return nil, fmt.Errorf("models: token id %d at row %d position %d is outside the vocabulary [0, %d)", id, b, t, m.Config.VocabSize)
			}
			flat[b*padSeq+t] = id
		}
	}
	inputs := []any{tensors.FromFlatDataAndDimensions(flat, padBatch, padSeq)}
	if p.needsStart() {
		start, err := lookbackStart(req.LookbackStart, ids, padBatch, padSeq)
		if err != nil {
			return nil, err
		}
		inputs = append(inputs, start)
	} else if req.LookbackStart != nil {
		return nil, fmt.Errorf("models: LookbackStart given, but no blocks.{L}.attn.lookback hook asked for")
	}
	keep := 0 // positions kept per row (0: every position)
	if req.Positions != nil {
		pos, n, err := positions(req.Positions, ids, padBatch)
		if err != nil {
			return nil, err
		}
		inputs = append(inputs, pos)
		keep = n
		p = p.withPositions(pos.Shape().Dim(1))
	}
	exec, err := m.exec(p, padBatch, padSeq)
	if err != nil {
		return nil, err
	}
	outs, err := exec.Call(inputs...)
	if err != nil {
		return nil, fmt.Errorf("models: forward pass: %w", err)
	}
	res := make(map[string]*Array, len(outs))
	for i, h := range p.hooks {
		t := outs[i]
		dims := slices.Clone(t.Shape().Dimensions)
		data, err := tensors.CopyFlatData[float32](t)
		t.FinalizeAll()
		if err != nil {
			return nil, fmt.Errorf("models: reading %s: %w", h.Name, err)
		}
		n := seq
		if keep > 0 && h.perTokenState() {
			n = keep
		}
		res[h.Name] = trim(&Array{Shape: dims, Data: data}, h, len(ids), n)
	}
	return res, nil
}

// lookbackStart checks the lookback boundaries of a request against its rows and pads them to
// [padBatch, padSeq] (padding positions get 0).
func lookbackStart(start, ids [][]int32, padBatch, padSeq int) (*tensors.Tensor, error) {
	if start == nil {
		return nil, fmt.Errorf("models: a blocks.{L}.attn.lookback hook needs Request.LookbackStart")
	}
	if len(start) != len(ids) {
		return nil, fmt.Errorf("models: LookbackStart has %d rows, the batch %d", len(start), len(ids))
	}
	flat := make([]int32, padBatch*padSeq)
	for b, row := range start {
		if len(row) != len(ids[b]) {
			return nil, fmt.Errorf("models: LookbackStart row %d has %d values for %d tokens", b, len(row), len(ids[b]))
		}
		for t, v := range row {
			if v < 0 || int(v) > len(row) {
				return nil, fmt.Errorf("models: LookbackStart[%d][%d] = %d is outside [0, %d]", b, t, v, len(row))
			}
		}
		copy(flat[b*padSeq:], row)
	}
	return tensors.FromFlatDataAndDimensions(flat, padBatch, padSeq), nil
}

// positions checks Request.Positions and makes the [padBatch, BucketLen(P)] input (rows past
// the batch and entries past a list are position 0); it returns P, the longest list.
func positions(pos, ids [][]int32, padBatch int) (*tensors.Tensor, int, error) {
	if len(pos) != len(ids) {
		return nil, 0, fmt.Errorf("models: Positions has %d rows, the batch %d", len(pos), len(ids))
	}
	n := 1
	for b, row := range pos {
		n = max(n, len(row))
		for i, v := range row {
			if v < 0 || int(v) >= len(ids[b]) {
				return nil, 0, fmt.Errorf("models: Positions[%d][%d] = %d is outside row %d's [0, %d)", b, i, v, b, len(ids[b]))
			}
		}
	}
	padN := BucketLen(n)
	flat := make([]int32, padBatch*padN)
	for b, row := range pos {
		copy(flat[b*padN:], row)
	}
	return tensors.FromFlatDataAndDimensions(flat, padBatch, padN), n, nil
}

// BucketLen rounds n up to a shape bucket: powers of two up to 16, then four steps per doubling
// (16, 20, 24, 28, 32, 40, 48, 56, 64, 80, ..., 896, 1024, 1280, ...), so that padding to the
// bucket costs less than 20 % of a pass (powers of two alone cost up to 50 %, 25 % on average).
// Run pads the batch and sequence axes to buckets so that a bounded number of compiled graphs
// serves every input: 4 per doubling of the length, 29 up to 1024.
func BucketLen(n int) int {
	if n <= 16 {
		b := 1
		for b < n {
			b *= 2
		}
		return b
	}
	p := 16 // the largest power of two below n
	for p*2 < n {
		p *= 2
	}
	step := p / 4
	return (n + step - 1) / step * step
}

// trim cuts a padded output back to batch rows and seq positions. Every hook is
// [batch, seq, ...] except attention patterns, [batch, heads, seq, seq].
func trim(a *Array, h Hook, batch, seq int) *Array {
	shape := a.Shape
	if h.Kind == hookAttnPattern { // [B, H, S, S] -> [batch, H, seq, seq]
		heads, s := shape[1], shape[2]
		out := &Array{Shape: []int{batch, heads, seq, seq}, Data: make([]float32, 0, batch*heads*seq*seq)}
		for b := range batch {
			for hd := range heads {
				for q := range seq {
					off := ((b*heads+hd)*s + q) * s
					out.Data = append(out.Data, a.Data[off:off+seq]...)
				}
			}
		}
		return out
	}
	if shape[0] == batch && shape[1] == seq {
		return a
	}
	inner := 1 // [B, S, inner...] -> [batch, seq, inner...]
	for _, d := range shape[2:] {
		inner *= d
	}
	out := &Array{Shape: append([]int{batch, seq}, shape[2:]...), Data: make([]float32, 0, batch*seq*inner)}
	for b := range batch {
		off := b * shape[1] * inner
		out.Data = append(out.Data, a.Data[off:off+seq*inner]...)
	}
	return out
}

// maxGraphBytes bounds the weights held by cached compiled graphs: the pure-Go backend embeds
// the weights in each graph it compiles for inference, one copy per (hooks, shape) pair.
const maxGraphBytes = 6 << 30

// maxGraphs bounds the compiled graphs cached per model: enough for every sequence bucket up to
// 1024 tokens (see BucketLen) in one plan, so that a run cycling through them compiles each once.
const maxGraphs = 32

// exec returns the compiled executor for a plan and an input shape, building it on first use
// and evicting the least recently used one when the cache is full.
func (m *Model) exec(p *plan, batch, seq int) (*model.Exec, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	key := fmt.Sprintf("%s|%dx%d", p.key, batch, seq)
	if e, ok := m.execs[key]; ok {
		m.touch(key)
		return e, nil
	}
	capacity := maxGraphs
	if weightsAsConstants() { // each graph then holds its own copy of the weights
		capacity = int(max(1, min(maxGraphs, maxGraphBytes/max(1, 4*m.Config.NumParams()))))
	}
	for len(m.lru) >= capacity {
		old := m.lru[0]
		m.lru = m.lru[1:]
		m.execs[old].Finalize()
		delete(m.execs, old)
	}
	// The pure-Go backend's inference graphs read [in, out] copies of the matmul weights, made on
	// the first graph (before any graph is compiled, so no build reads the store while they are
	// added), and run attention decomposed by hand (decomposedAttention).
	goInference := IsPureGo(m.Backend)
	if goInference && useIOWeights && !weightsAsConstants() && !m.io {
		if err := makeIOWeights(m.Config, m.Store); err != nil {
			return nil, err
		}
		m.io = true
	}
	cfg := m.Config
	e, err := model.NewExec(m.Backend, m.Store, func(scope *model.Scope, inputs []*Node) []*Node {
		if !weightsAsConstants() {
			// Weights enter as parameters fed from the store's tensors, shared by every compiled
			// graph; the pure-Go backend would otherwise embed a copy in each (inference mode).
			// The pass has no dropout or other training-only behaviour.
			scope.SetTraining(inputs[0].Graph(), true)
		}
		if goInference {
			scope.SetGraphParam(inputs[0].Graph(), goInferenceParam, true)
		}
		var start, pos *Node
		next := 1
		if p.needsStart() {
			start = inputs[next]
			next++
		}
		if p.keepPositions > 0 {
			pos = inputs[next]
		}
		out := forward(cfg, scope, inputs[0], start, pos, p)
		nodes := make([]*Node, len(p.hooks))
		for i, h := range p.hooks {
			nodes[i] = out[h.Name]
		}
		return nodes
	})
	if err != nil {
		return nil, fmt.Errorf("models: building forward pass: %w", err)
	}
	e.SetMaxCache(1)
	m.execs[key] = e
	m.lru = append(m.lru, key)
	return e, nil
}

// touch marks key as the most recently used executor.
func (m *Model) touch(key string) {
	i := slices.Index(m.lru, key)
	m.lru = append(append(m.lru[:i:i], m.lru[i+1:]...), key)
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// ResetCompiled drops every compiled graph and remakes the [in, out] inference copies of the
// weights (iolayout.go) when there are any: call it after changing weights in the Store.
func (m *Model) ResetCompiled() {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, e := range m.execs {
		e.Finalize()
	}
	m.execs, m.lru = map[string]*model.Exec{}, nil
	if m.io {
		m.io = makeIOWeights(m.Config, m.Store) == nil // else remade by the next graph
	}
}

// WeightsEnv set to "const" makes compiled graphs embed the weights as constants (each graph its
// own copy, as GoMLX's pure-Go backend does in inference mode) instead of sharing them as
// parameters; for comparisons.
const WeightsEnv = "PTTRUST_WEIGHTS"

func weightsAsConstants() bool { return os.Getenv(WeightsEnv) == "const" }
