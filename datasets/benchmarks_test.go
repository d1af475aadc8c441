package datasets

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pttrust/pttrust/internal/benchdata"
)

// benchmarksDir is ../shared/benchmarks (or $PTTRUST_BENCHMARKS); the test fails, not skips,
// without it: the benchmarks are part of every machine this project runs on.
func benchmarksDir(t *testing.T) string {
	t.Helper()
	d, err := benchdata.Dir()
	require.NoError(t, err)
	return d
}

// The real benchmarks import as published, and splits are by problem across languages.
func TestImportRealBenchmarks(t *testing.T) {
	dir := benchmarksDir(t)
	type stats struct {
		langs, tasks, cats map[string]int
		groupSplit         map[string]Split
		splits             map[Split]int
	}
	run := func(format ImportFormat, in string) (*Report, stats) {
		st := stats{map[string]int{}, map[string]int{}, map[string]int{}, map[string]Split{}, map[Split]int{}}
		rep, err := ImportSnippets(opts(format, in), func(s Snippet) error {
			require.NoError(t, s.Validate())
			if s.Role != RoleBuggy {
				return nil
			}
			st.langs[string(s.Language)]++
			st.tasks[s.Task]++
			st.cats[s.Category]++
			st.splits[s.Split]++
			require.NotEmpty(t, s.Group, s.ID)
			if sp, ok := st.groupSplit[s.Group]; ok {
				require.Equal(t, sp, s.Split, "problem %s in two splits (%s)", s.Group, s.ID)
			}
			st.groupSplit[s.Group] = s.Split
			return nil
		})
		require.NoError(t, err)
		return rep, st
	}

	rep, db := run(FormatDebugBench, filepath.Join(dir, benchdata.DebugBench))
	t.Logf("DebugBench: %d pairs, problems %v", rep.Total()/2, rep.ProblemCounts)
	require.Equal(t, 4253, rep.Total()/2+len(rep.Problems), "every record is imported or reported")
	require.Greater(t, rep.Total()/2, 4000)
	require.Len(t, db.langs, 3)
	require.Len(t, db.tasks, 18)
	require.Equal(t, []string{"logic", "multiple", "reference", "syntax"}, sortedKeysOf(db.cats))
	require.Len(t, db.groupSplit, 587, "problems (slugs)")
	for _, sp := range Splits {
		require.Positive(t, db.splits[sp], sp)
	}

	rep, he := run(FormatHumanEvalPack, filepath.Join(dir, benchdata.HumanEvalPack))
	t.Logf("HumanEvalPack: %d pairs, problems %v", rep.Total()/2, rep.ProblemCounts)
	require.Equal(t, 984, rep.Total()/2+len(rep.Problems))
	require.Greater(t, rep.Total()/2, 950)
	require.Equal(t, []string{"cpp", "go", "java", "javascript", "python", "rust"}, sortedKeysOf(he.langs))
	require.Equal(t, []string{"excess logic", "function misuse", "missing logic", "operator misuse", "value misuse", "variable misuse"}, sortedKeysOf(he.tasks))
	require.Len(t, he.groupSplit, 164, "tasks, shared by the six languages")
	for _, sp := range Splits {
		require.Positive(t, he.splits[sp], sp)
	}
}

func sortedKeysOf(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
