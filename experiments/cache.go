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
