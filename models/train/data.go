package train

import (
	"fmt"
	"math/rand/v2"
)

// Stream is a packed token stream: documents concatenated, each followed by a separator token.
// Training sequences are windows of SeqLen+1 consecutive tokens at multiples of SeqLen.
type Stream struct {
	Tokens []int32
}

// NumWindows is the number of non-overlapping training windows of seqLen+1 tokens.
func (s *Stream) NumWindows(seqLen int) int {
	if len(s.Tokens) < seqLen+1 {
		return 0
	}
	return (len(s.Tokens) - 1) / seqLen
}

// Window returns the tokens of window i: Tokens[i*seqLen : i*seqLen+seqLen+1].
func (s *Stream) Window(i, seqLen int) []int32 {
	return s.Tokens[i*seqLen : i*seqLen+seqLen+1]
}

// Order maps a step to the windows of its batch, deterministically from the seed: every epoch is
// a fresh permutation of all windows, so the batch of step k never depends on earlier steps having
// run in this process (which is what makes resuming exact).
type Order struct {
	seed     uint64
	windows  int
	batch    int
	perms    map[int][]int
	maxCache int
}

// NewOrder prepares the batch order for a stream of windows.
func NewOrder(seed uint64, windows, batch int) (*Order, error) {
	if windows < 1 {
		return nil, fmt.Errorf("the training stream has no complete window")
	}
	return &Order{seed: seed, windows: windows, batch: batch, perms: map[int][]int{}, maxCache: 2}, nil
}

func (o *Order) perm(epoch int) []int {
	if p, ok := o.perms[epoch]; ok {
		return p
	}
	if len(o.perms) >= o.maxCache {
		o.perms = map[int][]int{}
	}
	rng := rand.New(rand.NewPCG(o.seed, uint64(epoch)))
	p := rng.Perm(o.windows)
	o.perms[epoch] = p
	return p
}

// Batch returns the window indices of step.
func (o *Order) Batch(step int) []int {
	out := make([]int, o.batch)
	for i := range out {
		k := step*o.batch + i
		out[i] = o.perm(k / o.windows)[k%o.windows]
	}
	return out
}
