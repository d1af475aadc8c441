package datasets

import (
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSplitOfGolden(t *testing.T) {
	// These values pin the hash: changing it would reshuffle every corpus.
	require.InDelta(t, 0.177507, unitHash("x"), 1e-6)
	require.InDelta(t, 0.864160, unitHash("go:src/net/http/server.go"), 1e-6)
	for path, want := range map[string]Split{
		"go:src/net/http/server.go":                  Train,
		"go:src/fmt/print.go":                        Train,
		"java:src.zip!java.base/java/util/List.java": Validation,
		"c:include/stdio.h":                          Test,
		"x":                                          Test,
		"z":                                          Validation,
		"w":                                          Validation,
	} {
		require.Equal(t, want, SplitOf(path, 0.3, 0.2), path)
	}
}

func TestSplitOfFractions(t *testing.T) {
	const n = 100_000
	counts := map[Split]int{}
	for i := range n {
		p := fmt.Sprintf("go:src/pkg%d/file%d.go", i%97, i)
		s := SplitOf(p, 0.1, 0.05)
		counts[s]++
		// Growing the validation share only moves train files; test is untouched.
		s2 := SplitOf(p, 0.2, 0.05)
		switch s {
		case Test, Validation:
			require.Equal(t, s, s2)
		}
	}
	require.InDelta(t, 0.05, float64(counts[Test])/n, 0.005)
	require.InDelta(t, 0.10, float64(counts[Validation])/n, 0.005)
	require.Equal(t, n, counts[Train]+counts[Validation]+counts[Test])
	require.Equal(t, Train, SplitOf("anything", 0, 0))
	require.False(t, math.IsNaN(unitHash("")))
}

func TestParseSplitAndLanguage(t *testing.T) {
	for _, s := range Splits {
		got, err := ParseSplit(string(s))
		require.NoError(t, err)
		require.Equal(t, s, got)
	}
	_, err := ParseSplit("dev")
	require.ErrorContains(t, err, "dev")
	l, err := ParseLanguage("C++")
	require.NoError(t, err)
	require.Equal(t, CPP, l)
	_, err = ParseLanguage("cobol")
	require.ErrorContains(t, err, "cobol")
}
