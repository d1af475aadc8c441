package extract

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pttrust/pttrust/datasets"
	"github.com/pttrust/pttrust/models"
	"github.com/pttrust/pttrust/states"
	"github.com/stretchr/testify/require"
)

// expectLine computes one line's values by hand from a direct forward pass over ids[start:],
// with the line's tokens at absolute positions toks.
type expected struct {
	state                      []float32
	meanLP, minLP, ent, lookbk float64
	count                      int
}

func expectLine(t *testing.T, m *models.Model, ids []int32, start int, toks []int, layer int) expected {
	t.Helper()
	last := toks[len(toks)-1]
	res, err := m.Run([][]int32{ids[start : last+1]}, models.Request{Hooks: []string{testHook,
		models.HookTokenLogProb, models.HookTokenEntropy, models.AttnPattern(layer)}})
	require.NoError(t, err)
	pat := res[models.AttnPattern(layer)]
	heads := pat.Shape[1]
	e := expected{count: len(toks), minLP: math.Inf(1)}
	n := 0
	first := toks[0] - start
	var look float64
	for _, tk := range toks {
		p := tk - start
		lp := float64(res[models.HookTokenLogProb].At(0, p))
		if !math.IsNaN(lp) {
			e.meanLP += lp
			e.minLP = math.Min(e.minLP, lp)
			e.ent += float64(res[models.HookTokenEntropy].At(0, p))
			n++
		}
		for h := range heads {
			for k := 0; k < first; k++ {
				look += float64(pat.At(0, h, p, k))
			}
		}
	}
	if n == 0 {
		e.meanLP, e.minLP, e.ent = math.NaN(), math.NaN(), math.NaN()
	} else {
		e.meanLP /= float64(n)
		e.ent /= float64(n)
	}
	e.lookbk = look / float64(heads*len(toks))
	e.state = res[testHook].Row(0, last-start)
	return e
}

func nanDelta(t *testing.T, want float64, got float32, msg string) {
	t.Helper()
	if math.IsNaN(want) {
		require.True(t, math.IsNaN(float64(got)), "%s: want NaN, got %v", msg, got)
		return
	}
	require.InDelta(t, want, float64(got), 1e-5, msg)
}

func checkRow(t *testing.T, e expected, r readRow, msg string) {
	t.Helper()
	require.Equal(t, int32(e.count), r.TokenCount, msg)
	nanDelta(t, e.meanLP, r.MeanLogProb, msg+" mean_logprob")
	nanDelta(t, e.minLP, r.MinLogProb, msg+" min_logprob")
	nanDelta(t, e.ent, r.MeanEntropy, msg+" mean_entropy")
	require.InDelta(t, e.lookbk, float64(r.LookbackRatio), 1e-5, msg+" lookback")
	require.Len(t, r.State, len(e.state), msg)
	for i := range e.state {
		require.InDelta(t, e.state[i], r.State[i], 1e-5, "%s state[%d]", msg, i)
	}
}

// lineTokens returns, per line, the absolute token positions starting on it.
func lineTokens(t *testing.T, code string) ([]int32, [][]int) {
	_, tok := loadModel(t)
	tokens, err := tok.EncodeChecked(code)
	require.NoError(t, err)
	lines := states.SplitLines(code)
	ids := make([]int32, len(tokens))
	per := make([][]int, len(lines))
	for i, tk := range tokens {
		ids[i] = int32(tk.ID)
		l := states.LineOf(lines, tk.Start)
		per[l] = append(per[l], i)
	}
	return ids, per
}

// The round trip: shards and manifest read back; every scorable line of every snippet is one row
// with the values of a hand computation from a single forward pass (state at the last token,
// log-prob stats, entropy, lookback ratio from the attention pattern).
func TestExtractRoundTrip(t *testing.T) {
	m, tok := loadModel(t)
	dir, data, snips := corpusFile(t, 13)
	cfg := testConfig(data, filepath.Join(dir, "out"))
	var log bytes.Buffer
	res, err := extractWith(context.Background(), cfg, m, tok, &log)
	require.NoError(t, err, log.String())
	require.Empty(t, res.Problems)
	man := res.Manifest
	require.True(t, man.Complete)
	require.Len(t, man.Shards, 3) // 13 snippets, 5 per shard
	require.Equal(t, 13, man.Snippets)
	require.Equal(t, []int{0, 5, 10}, []int{man.Shards[0].FirstSnippet, man.Shards[1].FirstSnippet, man.Shards[2].FirstSnippet})
	require.Equal(t, 1, man.Settings.AttentionLayer, "default: the first hook's layer")
	require.Equal(t, map[string]string{testHook: "state_blocks_1_resid_post"}, man.Columns)
	onDisk, err := ReadManifest(cfg.OutDir)
	require.NoError(t, err)
	require.Equal(t, man.ConfigHash, onDisk.ConfigHash)
	require.Equal(t, len(man.Shards), len(onDisk.Shards))
	require.Contains(t, log.String(), "lines")
	require.Contains(t, log.String(), "padding")

	rows := readShards(t, cfg.OutDir)
	require.Equal(t, man.Rows, len(rows))
	k := 0
	for _, s := range snips {
		ids, per := lineTokens(t, s.Code)
		require.LessOrEqual(t, len(ids), 128)
		scorable := datasets.ScorableLines(s.Language, s.Code)
		for l, text := range datasets.CodeLines(s.Code) {
			if !scorable[l] { // blank, punctuation-only and comment-only lines are not scored
				continue
			}
			require.Less(t, k, len(rows))
			r := rows[k]
			k++
			msg := fmt.Sprintf("%s line %d %q", s.ID, l, text)
			require.Equal(t, s.ID, r.SnippetID, msg)
			require.Equal(t, int32(l), r.Line, msg)
			require.Equal(t, s.Labels[l], r.Label, msg)
			require.Equal(t, s.OriginalLine[l], r.OriginalLine, msg)
			require.Equal(t, string(s.Language), r.Language)
			require.Equal(t, int32(per[l][len(per[l])-1]), r.ContextTokens, msg)
			checkRow(t, expectLine(t, m, ids, 0, per[l], 1), r, msg)
		}
	}
	require.Equal(t, len(rows), k, "no extra rows")

	// Rerun in the same directory: complete, nothing rewritten.
	res2, err := extractWith(context.Background(), cfg, m, tok, nil)
	require.NoError(t, err)
	require.Equal(t, 3, res2.Resumed)
	// Other settings in the same directory: a clear error.
	cfg2 := cfg
	cfg2.Window = 64
	_, err = extractWith(context.Background(), cfg2, m, tok, nil)
	require.ErrorContains(t, err, "other settings")
	require.ErrorContains(t, err, "window 128, now 64")
	// Shard files without a manifest are not ours: left alone.
	foreign := filepath.Join(dir, "foreign")
	require.NoError(t, os.MkdirAll(foreign, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(foreign, ShardName(0)), []byte("x"), 0o644))
	cfg.OutDir = foreign
	_, err = extractWith(context.Background(), cfg, m, tok, nil)
	require.ErrorContains(t, err, "not an extraction directory")
}

// Long snippets: every scorable line is scored exactly once, in the first grid window that holds
// all its tokens (its last token then has at least W - W/2 tokens of context); lines inside the
// first window get the single-pass values; the others get the values of a pass over their window.
func TestWindowPolicy(t *testing.T) {
	m, tok := loadModel(t)
	dir := t.TempDir()
	data := filepath.Join(dir, "snippets.parquet")
	var b strings.Builder
	for i := range 9 {
		fmt.Fprintf(&b, "%s\n", goLines[i%len(goLines)])
	}
	code := b.String() // about 110 byte tokens: fits the model's context of 128 for a single pass
	s := snip("long", datasets.Go, code)
	require.NoError(t, datasets.WriteSnippetSlice(data, []datasets.Snippet{s}))
	const W = 32
	cfg := testConfig(data, filepath.Join(dir, "out"))
	cfg.Window = W
	res, err := extractWith(context.Background(), cfg, m, tok, nil)
	require.NoError(t, err)
	rows := readShards(t, cfg.OutDir)
	ids, per := lineTokens(t, code)
	require.Greater(t, len(ids), 3*W)
	seen := map[int32]int{}
	for _, r := range rows {
		seen[r.Line]++
		toks := per[r.Line]
		first, last := toks[0], toks[len(toks)-1]
		start := last - int(r.ContextTokens)
		msg := fmt.Sprintf("line %d (tokens %d..%d, window start %d)", r.Line, first, last, start)
		// The first grid window holding the line.
		want := 0
		for want+W <= last {
			want += W / 2
		}
		if want > first {
			want = last + 1 - W
		}
		require.Equal(t, want, start, msg)
		if last < W {
			require.Equal(t, 0, start)
			checkRow(t, expectLine(t, m, ids, 0, toks, 1), r, msg+" (single pass)")
		} else {
			require.GreaterOrEqual(t, int(r.ContextTokens), W-W/2, msg)
			checkRow(t, expectLine(t, m, ids, start, toks, 1), r, msg)
		}
	}
	for l, text := range datasets.CodeLines(code) {
		if datasets.Scorable(text) {
			require.Equal(t, 1, seen[int32(l)], "line %d scored exactly once", l)
		} else {
			require.Zero(t, seen[int32(l)])
		}
	}
	require.Empty(t, res.Problems)

	// With a window holding the whole snippet: every line equals the single pass.
	cfg.OutDir, cfg.Window = filepath.Join(dir, "out2"), 128
	_, err = extractWith(context.Background(), cfg, m, tok, nil)
	require.NoError(t, err)
	for _, r := range readShards(t, cfg.OutDir) {
		checkRow(t, expectLine(t, m, ids, 0, per[r.Line], 1), r, fmt.Sprintf("line %d", r.Line))
	}
}

// planWindows on synthetic lines, including ones longer than W/2+1 tokens.
func TestPlanWindows(t *testing.T) {
	const W = 8
	var ranges []states.TokenRange
	pos := 0
	for _, n := range []int{3, 1, 5, 7, 2, 8, 9, 4, 6, 1, 1, 3} {
		ranges = append(ranges, states.TokenRange{First: pos, Last: pos + n - 1, Count: n})
		pos += n
	}
	scorable := make([]bool, len(ranges))
	for i := range scorable {
		scorable[i] = true
	}
	wins, lineWin := planWindows(ranges, scorable, W)
	offGrid := 0
	for l, rg := range ranges {
		if rg.Count > W {
			require.Equal(t, -1, lineWin[l])
			continue
		}
		w := wins[lineWin[l]]
		require.LessOrEqual(t, w.start, rg.First, "line %d", l)
		require.LessOrEqual(t, rg.Last+1, w.end, "line %d", l)
		require.LessOrEqual(t, w.end-w.start, W)
		if w.start%(W/2) == 0 { // a grid window: the first holding the line
			require.True(t, w.start == 0 || w.start-W/2+W <= rg.Last, "line %d: an earlier grid window holds it", l)
		} else {
			require.Equal(t, rg.Last+1-W, w.start)
			offGrid++
		}
	}
	require.Positive(t, offGrid, "the case of a line no grid window holds is covered")
	for i := 1; i < len(wins); i++ {
		require.Less(t, wins[i-1].start, wins[i].start)
	}
}

// Bad input is reported and skipped; the rest is extracted.
func TestBadInputs(t *testing.T) {
	m, tok := loadModel(t)
	dir := t.TempDir()
	data := filepath.Join(dir, "snippets.parquet")
	good := corpus(4)
	bad := snip("notutf8", datasets.Go, "x := 1\ny := \"\xff\xfe\"\n")
	empty := snip("empty", datasets.Go, "")
	unknown := snip("cobol", datasets.Language("cobol"), "DISPLAY 'HI'.\n")
	huge := snip("huge", datasets.Go, strings.Repeat("a = b + c; ", (1<<20)/11)+"\n")
	mixed := snip("mixed", datasets.Python, "ok = 1\n"+strings.Repeat("z", 300)+"\nalso = 2\n")
	rows := []datasets.Snippet{good[0], bad, good[1], empty, unknown, huge, good[2], mixed, good[3]}
	writeRaw(t, data, rows)
	cfg := testConfig(data, filepath.Join(dir, "out"))
	cfg.ShardSnippets = 4
	var log bytes.Buffer
	res, err := extractWith(context.Background(), cfg, m, tok, &log)
	require.NoError(t, err)
	out := log.String()
	for _, want := range []string{
		`snippet 1 (id "notutf8"): skipped: notutf8: code is not valid UTF-8`,
		`snippet 3 (id "empty"): skipped: empty: empty code`,
		`snippet 4 (id "cobol"): skipped: cobol: unknown language "cobol"`,
		`snippet 5 (id "huge"): line 0 not scored: the line spans 1048576 tokens, more than the window of 128`,
		`snippet 7 (id "mixed"): line 1 not scored: the line spans 301 tokens`,
	} {
		require.Contains(t, out, want)
	}
	require.Len(t, res.Problems, 6) // the huge snippet also gets "no line could be scored"
	got := readShards(t, cfg.OutDir)
	ids := map[string]int{}
	for _, r := range got {
		ids[r.SnippetID]++
	}
	want := map[string]int{"mixed": 2}
	for _, g := range good {
		for _, l := range datasets.CodeLines(g.Code) {
			if datasets.Scorable(l) {
				want[g.ID]++
			}
		}
	}
	require.Equal(t, want, ids)
	require.Equal(t, 9, res.Manifest.Snippets)
	require.Len(t, res.Manifest.Shards[0].Problems, 2)

	// An empty snippets file: a message, a complete manifest, no shard.
	emptyData := filepath.Join(dir, "none.parquet")
	require.NoError(t, datasets.WriteSnippetSlice(emptyData, nil))
	log.Reset()
	res, err = extractWith(context.Background(), testConfig(emptyData, filepath.Join(dir, "out-empty")), m, tok, &log)
	require.NoError(t, err)
	require.Contains(t, log.String(), "holds no snippets")
	require.True(t, res.Manifest.Complete)
	require.Empty(t, res.Manifest.Shards)
	// A zero-byte file: an error naming it.
	zero := filepath.Join(dir, "zero.parquet")
	require.NoError(t, os.WriteFile(zero, nil, 0o644))
	_, err = extractWith(context.Background(), testConfig(zero, filepath.Join(dir, "out-zero")), m, tok, nil)
	require.ErrorContains(t, err, "empty file (0 bytes)")
}

func TestConfigValidate(t *testing.T) {
	c := Config{Hooks: []string{"blocks.1.attn.pattern", "nope", "nope"}, Window: 1, BatchTokens: -1, ShardSnippets: -2, Workers: -1}
	err := c.Validate()
	require.Error(t, err)
	for _, want := range []string{"ModelDir (--model)", "DataPath (--data)", "OutDir (--out)", "no single state vector",
		`unknown hook "nope"`, "given twice", "Window (--window)", "BatchTokens", "ShardSnippets", "Workers (--workers)"} {
		require.ErrorContains(t, err, want)
	}
	m, tok := loadModel(t)
	c = testConfig("x", "y")
	c.Hooks = []string{"blocks.7.resid_post"}
	_, err = extractWith(context.Background(), c, m, tok, nil)
	require.ErrorContains(t, err, "layer 7 out of range")
	c = testConfig("x", "y")
	c.Window = 500
	_, err = extractWith(context.Background(), c, m, tok, nil)
	require.ErrorContains(t, err, "exceeds the model's context of 128")
}

// extractBoth extracts a small corpus twice, the second time with change applied to the
// configuration, and returns the second result and both runs' rows (the same number, and a
// different settings hash).
func extractBoth(t *testing.T, change func(*Config)) (*Result, []readRow, []readRow) {
	t.Helper()
	m, tok := loadModel(t)
	dir, data, _ := corpusFile(t, 6)
	cfg := testConfig(data, filepath.Join(dir, "with"))
	with, err := extractWith(context.Background(), cfg, m, tok, nil)
	require.NoError(t, err)
	cfg.OutDir = filepath.Join(dir, "without")
	change(&cfg)
	without, err := extractWith(context.Background(), cfg, m, tok, nil)
	require.NoError(t, err)
	require.NotEqual(t, with.Manifest.ConfigHash, without.Manifest.ConfigHash)
	a, b := readShards(t, filepath.Join(dir, "with")), readShards(t, filepath.Join(dir, "without"))
	require.Equal(t, len(a), len(b))
	return without, a, b
}

// Workers: passes run at once write the same bytes as one at a time (same shards, same hash),
// with many small batches finishing out of order, and Lines gives the same rows.
func TestWorkersSameBytes(t *testing.T) {
	m, tok := loadModel(t)
	dir, data, snips := corpusFile(t, 40)
	var mans []*Manifest
	for _, w := range []int{1, 3} {
		cfg := testConfig(data, filepath.Join(dir, fmt.Sprint("w", w)))
		cfg.BatchTokens, cfg.Workers, cfg.ShardSnippets = 64, w, 16
		res, err := extractWith(context.Background(), cfg, m, tok, nil)
		require.NoError(t, err)
		require.Greater(t, res.Manifest.Rows, 100)
		passes := 0
		for _, n := range res.Shapes {
			passes += n
		}
		require.Greater(t, passes, 3*w, "too few batches to overlap")
		mans = append(mans, res.Manifest)
	}
	require.Equal(t, mans[0].ConfigHash, mans[1].ConfigHash)
	require.Equal(t, mans[0].Shards, mans[1].Shards)
	cfg := testConfig(data, "")
	cfg.BatchTokens, cfg.Workers = 64, 1
	one, _, err := Lines(context.Background(), m, tok, cfg, snips)
	require.NoError(t, err)
	cfg.Workers = 4
	four, _, err := Lines(context.Background(), m, tok, cfg, snips)
	require.NoError(t, err)
	require.Equal(t, one, four)
}

// NoLookback: the same rows with lookback_ratio NaN, and a different settings hash.
func TestNoLookback(t *testing.T) {
	without, a, b := extractBoth(t, func(c *Config) { c.NoLookback = true })
	require.Equal(t, -1, without.Manifest.Settings.AttentionLayer)
	for i := range a {
		require.True(t, math.IsNaN(float64(b[i].LookbackRatio)))
		require.False(t, math.IsNaN(float64(a[i].LookbackRatio)))
		require.InDelta(t, a[i].MeanEntropy, b[i].MeanEntropy, 1e-5)
		require.InDeltaSlice(t, a[i].State, b[i].State, 1e-5)
	}
}

// NoTokenStats: the same states (the pass stops after the hook's block, which never changes
// them), log-prob and entropy columns NaN, lookback kept, and a different settings hash.
func TestNoTokenStats(t *testing.T) {
	without, a, b := extractBoth(t, func(c *Config) { c.NoTokenStats = true })
	require.True(t, without.Manifest.Settings.NoTokenStats)
	for i := range a {
		for _, v := range []float32{b[i].MeanLogProb, b[i].MinLogProb, b[i].MeanEntropy} {
			require.True(t, math.IsNaN(float64(v)))
		}
		require.False(t, math.IsNaN(float64(a[i].MeanLogProb)))
		require.InDelta(t, a[i].LookbackRatio, b[i].LookbackRatio, 1e-5)
		require.InDeltaSlice(t, a[i].State, b[i].State, 1e-5)
	}
}

// The per-line log-prob and entropy statistics agree with models.LineScores (the `lm logprobs`
// command) when the snippet fits one window.
func TestAgreesWithLineScores(t *testing.T) {
	m, tok := loadModel(t)
	dir, data, snips := corpusFile(t, 4)
	cfg := testConfig(data, filepath.Join(dir, "out"))
	_, err := extractWith(context.Background(), cfg, m, tok, nil)
	require.NoError(t, err)
	rows := readShards(t, cfg.OutDir)
	k := 0
	for _, s := range snips {
		scores, err := models.ScoreText(m, tok, s.Code, 0)
		require.NoError(t, err)
		for _, ls := range models.LineScores(s.Code, scores) {
			if !datasets.Scorable(ls.Text) {
				continue
			}
			r := rows[k]
			k++
			require.Equal(t, int32(ls.Line), r.Line)
			require.Equal(t, int32(ls.Tokens), r.TokenCount)
			nanDelta(t, ls.MeanLogProb, r.MeanLogProb, "mean")
			nanDelta(t, ls.MinLogProb, r.MinLogProb, "min")
			nanDelta(t, ls.MeanEntropy, r.MeanEntropy, "entropy")
		}
	}
	require.Equal(t, len(rows), k)
}

// A cancelled run (Ctrl-C) keeps its complete shards; the rerun finishes with the bytes of an
// uninterrupted run.
func TestCancelAndResume(t *testing.T) {
	m, tok := loadModel(t)
	dir, data, _ := corpusFile(t, 17)
	ctx, cancel := context.WithCancel(context.Background())
	afterShard = func(i int) {
		if i == 1 {
			cancel()
		}
	}
	defer func() { afterShard = nil }()
	cut := filepath.Join(dir, "cut")
	_, err := extractWith(ctx, testConfig(data, cut), m, tok, nil)
	require.ErrorIs(t, err, context.Canceled)
	afterShard = nil
	man, err := ReadManifest(cut)
	require.NoError(t, err)
	require.Len(t, man.Shards, 2)
	require.False(t, man.Complete)
	res, err := extractWith(context.Background(), testConfig(data, cut), m, tok, nil)
	require.NoError(t, err)
	require.Equal(t, 2, res.Resumed)
	ref, err := extractWith(context.Background(), testConfig(data, filepath.Join(dir, "ref")), m, tok, nil)
	require.NoError(t, err)
	require.Equal(t, ref.Manifest.Shards, res.Manifest.Shards)
}

// A manifest whose shard names leave the folder is refused, naming the manifest and the shard.
func TestManifestShardNamesStayInFolder(t *testing.T) {
	for _, name := range []string{"../../x", "/etc/passwd", "sub/shard.parquet", "..", "", `a\b`} {
		dir := t.TempDir()
		require.NoError(t, writeManifest(dir, &Manifest{Shards: []ShardInfo{{File: name}}}))
		_, err := ReadManifest(dir)
		require.ErrorContains(t, err, "shard 0", name)
		require.ErrorContains(t, err, filepath.Join(dir, ManifestName))
	}
	dir := t.TempDir()
	require.NoError(t, writeManifest(dir, &Manifest{Shards: []ShardInfo{{File: ShardName(0)}}}))
	_, err := ReadManifest(dir)
	require.NoError(t, err)
}
