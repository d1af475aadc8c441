// Package pkg is a fixture of the mutation engine tests.
package pkg

// Stack is a stack of ints.
type Stack struct {
	items []int
}

// Push adds v on top.
func (s *Stack) Push(v int) {
	s.items = append(s.items, v)
}

// Pop removes the top item; ok is false when the stack is empty.
func (s *Stack) Pop() (v int, ok bool) {
	n := len(s.items)
	if n == 0 {
		return 0, false
	}
	v = s.items[n-1]
	s.items = s.items[:n-1]
	return v, true
}

// Sum adds the items between lo and hi.
func (s *Stack) Sum(lo, hi int) int {
	total := 0
	for i := lo; i < hi; i++ {
		total += s.items[i] * 2
	}
	return total
}
