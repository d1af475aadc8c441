package safetensors

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// ShapeMismatch is one tensor whose stored shape differs from the expected one.
type ShapeMismatch struct {
	Name      string
	Want, Got []int
}

// MismatchError lists every difference between a checkpoint and the tensors a model expects. It
// matches ErrMissing, ErrShape and ErrUnexpected with errors.Is when it has entries of that kind.
type MismatchError struct {
	Dir        string
	Missing    []string        // expected but absent, sorted
	Shapes     []ShapeMismatch // present with another shape, sorted by name
	Unexpected []string        // present but not expected, sorted
}

// Error lists all missing, mis-shaped and unexpected tensors by name.
func (e *MismatchError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "safetensors checkpoint %s does not hold the expected tensors:", e.Dir)
	if len(e.Missing) > 0 {
		fmt.Fprintf(&b, " %d missing: %s;", len(e.Missing), strings.Join(e.Missing, ", "))
	}
	if len(e.Shapes) > 0 {
		fmt.Fprintf(&b, " %d with the wrong shape:", len(e.Shapes))
		for i, s := range e.Shapes {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, " %s (want %v, got %v)", s.Name, s.Want, s.Got)
		}
		b.WriteByte(';')
	}
	if len(e.Unexpected) > 0 {
		fmt.Fprintf(&b, " %d unexpected: %s;", len(e.Unexpected), strings.Join(e.Unexpected, ", "))
	}
	return strings.TrimSuffix(b.String(), ";")
}

// Is reports whether the error holds entries of the kind target names.
func (e *MismatchError) Is(target error) bool {
	switch target {
	case ErrMissing:
		return len(e.Missing) > 0
	case ErrShape:
		return len(e.Shapes) > 0
	case ErrUnexpected:
		return len(e.Unexpected) > 0
	}
	return false
}

// CheckExpected compares the checkpoint with the tensors a model expects (name → shape) and
// returns nil when they match exactly, or a *MismatchError listing every missing tensor, every
// shape mismatch and every tensor present but not expected.
func (c *Checkpoint) CheckExpected(expected map[string][]int) error {
	e := &MismatchError{Dir: c.Dir}
	for name, want := range expected {
		f, ok := c.where[name]
		if !ok {
			e.Missing = append(e.Missing, name)
			continue
		}
		if got := f.tensors[name].Shape; !slices.Equal(got, want) {
			e.Shapes = append(e.Shapes, ShapeMismatch{Name: name, Want: slices.Clone(want), Got: slices.Clone(got)})
		}
	}
	for _, name := range c.names {
		if _, ok := expected[name]; !ok {
			e.Unexpected = append(e.Unexpected, name)
		}
	}
	if len(e.Missing)+len(e.Shapes)+len(e.Unexpected) == 0 {
		return nil
	}
	sort.Strings(e.Missing)
	sort.Slice(e.Shapes, func(i, j int) bool { return e.Shapes[i].Name < e.Shapes[j].Name })
	return e
}
