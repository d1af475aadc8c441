package datasets_test

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/pttrust/pttrust/datasets"
	"github.com/pttrust/pttrust/internal/srclines"
	"github.com/stretchr/testify/require"
)

// TestCodeLinesMatchesStates pins the shared line rule: Snippet.Labels (one per CodeLines line)
// must index the same lines as the states stage (srclines.Split).
func TestCodeLinesMatchesStates(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for range 3000 {
		var b strings.Builder
		for range r.IntN(16) {
			b.WriteString([]string{"a", "é", "\n", "\r", "\r\n", " ", "\t"}[r.IntN(7)])
		}
		s := b.String()
		want := srclines.Split(s)
		got := datasets.CodeLines(s)
		require.Len(t, got, len(want), "%q", s)
		require.Equal(t, len(want), datasets.LineCount(s), "%q", s)
		for i, l := range want {
			require.Equal(t, l.Text(s), got[i], "%q line %d", s, i)
		}
	}
}
