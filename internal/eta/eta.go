// Package eta estimates the time left of a job from the share done so far.
package eta

import (
	"fmt"
	"time"
)

// Left estimates the time left when done of total units took elapsed, assuming the rest goes at
// the same rate; ok is false while nothing is done yet (or nothing is to do).
func Left(elapsed time.Duration, done, total float64) (left time.Duration, ok bool) {
	if done <= 0 || total <= 0 || elapsed <= 0 {
		return 0, false
	}
	if done >= total {
		return 0, true
	}
	return time.Duration(float64(elapsed) * (total - done) / done), true
}

// String is Left as "ETA 3m20s" (rounded to the second; a minute above an hour), or "ETA ?"
// while unknown.
func String(elapsed time.Duration, done, total float64) string {
	left, ok := Left(elapsed, done, total)
	if !ok {
		return "ETA ?"
	}
	round := time.Second
	if left > time.Hour {
		round = time.Minute
	}
	return fmt.Sprintf("ETA %v", left.Round(round))
}
