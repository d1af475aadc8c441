package experiments

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/pttrust/pttrust/datasets"
	"github.com/pttrust/pttrust/internal/atomicfile"
	"github.com/pttrust/pttrust/internal/buildinfo"
	"github.com/pttrust/pttrust/internal/filelock"
)

// DoneName marks a finished stage folder; a folder without it is redone (or resumed, for the
// stages that resume).
const DoneName = "DONE.json"

// importRecipe names what the data stage does to an importer's output (it keeps the buggy
// versions only); it is part of the key of imported data.
const importRecipe = "buggy-only/1"

// hashOf is the first 16 hex digits of the SHA-256 of the JSON form of parts: the key of a
// stage's folder. Everything that decides a stage's output goes into its key, and nothing else
// (not the experiment's name), so experiments with the same inputs share the stage.
func hashOf(parts ...any) string {
	data, err := json.Marshal(parts)
	if err != nil {
		panic("experiments: hashOf: " + err.Error())
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:8])
}

// dataKey is the key of the snippets file d makes. It holds only what its format reads:
// pinned mutation data on the pinned file's SHA-256; other mutation data on the sampling and mutation settings, the seed and the source trees
// found (roots); imported data on the content of the input (not its path: the same benchmark
// elsewhere shares the cache, an edited one does not), the split fractions, the languages and
// the size cap.
func dataKey(d DataConfig, seed uint64, roots []string) (string, error) {
	if d.Format == "mutation" && d.Pinned != "" { // the file's content, not how it was made
		return hashOf("mutation-pinned", strings.ToLower(d.PinnedSHA256), datasets.SnippetSchemaVersion), nil
	}
	if d.Format == "mutation" {
		d.Path, d.MaxCodeBytes = "", 0
		return hashOf("mutation", d, seed, datasets.SnippetSchemaVersion, roots), nil
	}
	digest, err := inputDigest(d.Path)
	if err != nil {
		return "", err
	}
	parts := []any{d.Format, digest, d.Languages, d.ValFraction, d.TestFraction, d.MaxCodeBytes,
		datasets.SnippetSchemaVersion, importRecipe}
	if d.ProblemFraction > 0 && d.ProblemFraction < 1 { // absent from the key of whole benchmarks
		parts = append(parts, "problems", d.ProblemFraction)
	}
	return hashOf(parts...), nil
}

// inputDigest hashes a file, or every regular file below a folder (relative names and
// contents, in name order).
func inputDigest(path string) (string, error) {
	h := sha256.New()
	err := filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		rel, err := filepath.Rel(path, p)
		if err != nil {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		fmt.Fprintf(h, "%s\x00", filepath.ToSlash(rel))
		n, err := io.Copy(h, f)
		fmt.Fprintf(h, "\x00%d\x00", n)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("data %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)[:8]), nil
}

// stageDir is WorkDir/<kind>-<key>.
func (r *runner) stageDir(kind, key string) string {
	return filepath.Join(r.cfg.WorkDir, kind+"-"+key)
}

// lockStage takes the lock of a stage folder (dir + ".lock"), so that runs sharing the work
// folder compute a stage once: the others wait and then find it done.
func (r *runner) lockStage(dir string) (*filelock.Lock, error) {
	return filelock.Acquire(dir+".lock", func() {
		fmt.Fprintf(r.progress, "== waiting: another run is computing %s\n", dir)
	})
}

// isDone reports whether a stage folder is finished.
func isDone(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, DoneName))
	return err == nil
}

// markDone writes the stage's DONE.json (atomically) with info, the time the stage took since
// start and the code version.
func markDone(dir string, start time.Time, info any) error {
	data, err := json.MarshalIndent(doneInfo{
		Finished: time.Now().UTC().Format(time.RFC3339),
		Seconds:  time.Since(start).Seconds(),
		Code:     buildinfo.Get(),
		Info:     info,
	}, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(filepath.Join(dir, DoneName), append(data, '\n'))
}

// doneInfo is DONE.json.
type doneInfo struct {
	Finished string         `json:"finished"`
	Seconds  float64        `json:"seconds"`
	Code     buildinfo.Info `json:"code"`
	Info     any            `json:"info"`
}

// doneTime is how long a finished stage took when it ran (0 when unknown).
func doneTime(dir string) time.Duration {
	data, err := os.ReadFile(filepath.Join(dir, DoneName))
	if err != nil {
		return 0
	}
	var d doneInfo
	if json.Unmarshal(data, &d) != nil {
		return 0
	}
	return time.Duration(d.Seconds * float64(time.Second))
}
