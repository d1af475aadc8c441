package extract

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pttrust/pttrust/datasets"
	"github.com/stretchr/testify/require"
)

// childEnv makes the test binary, re-executed, run one extraction (see runChild).
const childEnv = "PTTRUST_EXTRACT_CHILD"

// runChild runs in a re-executed test binary: PTTRUST_EXTRACT_CHILD="mode data out [delay]".
// Mode "slow" sleeps after each shard (so that the parent can kill it mid-run); mode "rss"
// prints the peak RSS (VmHWM) when done.
func runChild(t *testing.T) bool {
	spec := os.Getenv(childEnv)
	if spec == "" {
		return false
	}
	f := strings.Fields(spec)
	cfg := testConfig(f[1], f[2])
	if f[0] == "slow" {
		afterShard = func(int) { time.Sleep(300 * time.Millisecond) }
	}
	if f[0] == "rss" {
		// One-row batches: the compiled graphs (a bounded cache, up to 32) are then one per length
		// bucket, the same few for 1x and 10x the input, so peak RSS compares what is streamed.
		cfg.ShardSnippets, cfg.BatchTokens = 50, 1
	}
	_, err := Extract(context.Background(), cfg, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	if f[0] == "rss" {
		if p := os.Getenv("PTTRUST_HEAPPROF"); p != "" {
			runtime.GC()
			f, _ := os.Create(p)
			_ = pprof.WriteHeapProfile(f)
			f.Close()
		}
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		fmt.Printf("VmHWM_kB=%d sys=%dM heapsys=%dM heapinuse=%dM stack=%dM numgc=%d\n", vmHWM(t), ms.Sys>>20, ms.HeapSys>>20, ms.HeapInuse>>20, ms.StackSys>>20, ms.NumGC)
	}
	os.Exit(0)
	return true
}

func vmHWM(t *testing.T) int {
	data, err := os.ReadFile("/proc/self/status")
	require.NoError(t, err)
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			n, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			require.NoError(t, err)
			return n
		}
	}
	t.Fatal("no VmHWM in /proc/self/status")
	return 0
}

func child(t *testing.T, test, spec string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^"+test+"$", "-test.count=1")
	cmd.Env = append(os.Environ(), childEnv+"="+spec)
	cmd.Stderr = os.Stderr
	return cmd
}

// kill -9 in the middle of an extraction, rerun: the final shards are byte for byte those of an
// uninterrupted run.
func TestResumeAfterKill(t *testing.T) {
	if runChild(t) {
		return
	}
	m, tok := loadModel(t)
	dir := t.TempDir()
	data := filepath.Join(dir, "snippets.parquet")
	require.NoError(t, datasets.WriteSnippetSlice(data, corpus(40)))
	killed := filepath.Join(dir, "killed")
	cmd := child(t, "TestResumeAfterKill", fmt.Sprintf("slow %s %s", data, killed))
	require.NoError(t, cmd.Start())
	deadline := time.Now().Add(60 * time.Second)
	for {
		if _, err := os.Stat(filepath.Join(killed, ShardName(1))); err == nil {
			break
		}
		require.True(t, time.Now().Before(deadline), "the child wrote no shard in 60 s")
		time.Sleep(5 * time.Millisecond)
	}
	require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
	_ = cmd.Wait()
	man, err := ReadManifest(killed)
	require.NoError(t, err)
	require.False(t, man.Complete, "killed before the end")
	require.Less(t, len(man.Shards), 8)
	// Debris an interrupted write can leave: a temporary file, and a shard written but not yet
	// in the manifest (here: garbage under the next shard's name).
	require.NoError(t, os.WriteFile(filepath.Join(killed, "."+ShardName(len(man.Shards))+".tmp-123"), []byte("half"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(killed, ShardName(len(man.Shards))), []byte("garbage"), 0o644))

	var log bytes.Buffer
	res, err := extractWith(context.Background(), testConfig(data, killed), m, tok, &log)
	require.NoError(t, err)
	require.Equal(t, len(man.Shards), res.Resumed)
	require.Contains(t, log.String(), "resuming after")
	require.True(t, res.Manifest.Complete)

	whole := filepath.Join(dir, "whole")
	ref, err := extractWith(context.Background(), testConfig(data, whole), m, tok, nil)
	require.NoError(t, err)
	require.Len(t, ref.Manifest.Shards, 8)
	require.Equal(t, ref.Manifest.Shards, res.Manifest.Shards)
	for _, sh := range ref.Manifest.Shards {
		a, err := os.ReadFile(filepath.Join(whole, sh.File))
		require.NoError(t, err)
		b, err := os.ReadFile(filepath.Join(killed, sh.File))
		require.NoError(t, err)
		require.True(t, bytes.Equal(a, b), "%s differs", sh.File)
	}
	ents, err := os.ReadDir(killed)
	require.NoError(t, err)
	require.Len(t, ents, 9, "8 shards and the manifest, no debris")
}

// Peak RSS for 1x and 10x the input stays flat (within 10 % + 8 MiB): snippets are streamed and
// at most one shard of rows is held. The 8 MiB absorb what does grow a little with the input (a
// few more length buckets compiled, up to the graph cache's bound: +3.1 MiB here, +4.8 MiB on
// CI's machine on 44 MiB, which failed a bare 10 %). What this catches: holding every token's
// state (~35 MiB at 10x) or logits (~140 MiB), an unbounded graph cache; holding the line rows
// of this 64-wide model alone (~2 MiB at 10x) is under it.
func TestPeakRSSFlat(t *testing.T) {
	const rssBase = 100
	if runChild(t) {
		return
	}
	if testing.Short() {
		t.Skip("re-runs extraction twice in child processes")
	}
	dir := t.TempDir()
	peak := map[int]int{}
	for _, mult := range []int{1, 10} {
		data := filepath.Join(dir, fmt.Sprintf("x%d.parquet", mult))
		require.NoError(t, datasets.WriteSnippetSlice(data, corpus(rssBase*mult)))
		// The lowest of three runs: with other test packages running beside it, one run's peak
		// can sit several percent above its usual value (seen: +13 % once, under load).
		start := time.Now()
		for try := range 3 {
			var out bytes.Buffer
			cmd := child(t, "TestPeakRSSFlat", fmt.Sprintf("rss %s %s", data, filepath.Join(dir, fmt.Sprintf("out%d-%d", mult, try))))
			// The same tight GC settings for both sizes: peak RSS then measures what is live (model,
			// graphs, one shard, one batch), not how far the heap drifted between collections, which
			// on a busy machine varies by more than 10 % from run to run.
			cmd.Env = append(cmd.Env, "GOGC=25", "GOMAXPROCS=1")
			cmd.Stdout = &out
			require.NoError(t, cmd.Run())
			_, v, ok := strings.Cut(out.String(), "VmHWM_kB=")
			require.True(t, ok, out.String())
			n, err := strconv.Atoi(strings.Fields(v)[0])
			require.NoError(t, err)
			if try == 0 || n < peak[mult] {
				peak[mult] = n
			}
		}
		t.Logf("input %dx (%d snippets): lowest peak RSS of 3 runs %.1f MiB (%v in all)", mult, rssBase*mult, float64(peak[mult])/1024, time.Since(start).Round(time.Millisecond))
	}
	require.LessOrEqual(t, float64(peak[10]), 1.10*float64(peak[1])+8*1024, "peak RSS grows with the input (kB): %v", peak)
}
