package experiments

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/pttrust/pttrust/internal/eta"
	"github.com/pttrust/pttrust/internal/progress"
)

// scoreProgress reports the files scored, with an ETA by bytes. On a terminal it redraws one
// line (at most 4 times a second); elsewhere it prints a line at most every 10 s. Nothing is
// printed for a single file.
type scoreProgress struct {
	w                     io.Writer
	tty                   bool
	start, last           time.Time
	files, total          int
	sizes                 []int64 // of each path, 0 where it is not a readable file
	bytesDone, bytesTotal int64
	lines                 int
	drawn                 bool
}

func newScoreProgress(w io.Writer, paths []string) *scoreProgress {
	if w == nil || len(paths) < 2 {
		return nil
	}
	p := &scoreProgress{w: w, start: time.Now(), total: len(paths), sizes: make([]int64, len(paths))}
	for i, path := range paths {
		if fi, err := os.Stat(path); err == nil && !fi.IsDir() {
			p.sizes[i] = fi.Size()
			p.bytesTotal += fi.Size()
		}
	}
	p.tty = progress.IsTerminal(w)
	return p
}

// done counts paths[i] as scored, with its scored lines.
func (p *scoreProgress) done(i, lines int) {
	if p == nil {
		return
	}
	p.files, p.bytesDone, p.lines = p.files+1, p.bytesDone+p.sizes[i], p.lines+lines
	now := time.Now()
	every := 10 * time.Second
	if p.tty {
		every = 250 * time.Millisecond
	}
	last := p.files == p.total
	if !last && now.Sub(p.last) < every {
		return
	}
	p.last = now
	line := fmt.Sprintf("score: %d/%d files, %d lines scored, %v, %s", p.files, p.total, p.lines,
		now.Sub(p.start).Round(time.Second), eta.String(now.Sub(p.start), float64(p.bytesDone), float64(p.bytesTotal)))
	if p.tty {
		fmt.Fprint(p.w, "\r\033[K"+line)
		p.drawn = true
		if last {
			fmt.Fprintln(p.w)
		}
		return
	}
	fmt.Fprintln(p.w, line)
}
