package experiments

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"time"

	"github.com/pttrust/pttrust/internal/atomicfile"
	"github.com/pttrust/pttrust/internal/buildinfo"
)

// DoneName marks a finished stage folder; a folder without it is redone (or resumed, for the
// stages that resume).
const DoneName = "DONE.json"

// hashOf is the first 16 hex digits of the SHA-256 of the JSON form of parts: the key of a
// stage's folder. Everything that decides a stage's output goes into its key.
func hashOf(parts ...any) string {
	data, err := json.Marshal(parts)
	if err != nil {
		panic("experiments: hashOf: " + err.Error())
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:8])
}

// isDone reports whether a stage folder is finished.
func isDone(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, DoneName))
	return err == nil
}

// markDone writes the stage's DONE.json (atomically) with info and the code version.
func markDone(dir string, info any) error {
	data, err := json.MarshalIndent(map[string]any{
		"finished": time.Now().UTC().Format(time.RFC3339),
		"code":     buildinfo.Get(),
		"info":     info,
	}, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(filepath.Join(dir, DoneName), append(data, '\n'))
}
