package experiments

import (
	"io"
	"os"
	"time"

	"github.com/pttrust/pttrust/internal/eta"
	"github.com/pttrust/pttrust/internal/progress"
)

// scoreProgress reports the files scored, with an ETA by bytes, on a status line (redrawn on a
// terminal, a line at most every 10 s elsewhere). Nothing is printed for a single file.
type scoreProgress struct {
	line                  *progress.Line
	start                 time.Time
	files, total          int
	sizes                 []int64 // of each path, 0 where it is not a readable file
	bytesDone, bytesTotal int64
	lines                 int
}

func newScoreProgress(w io.Writer, paths []string) *scoreProgress {
	if w == nil || len(paths) < 2 {
		return nil
	}
	p := &scoreProgress{line: progress.New(w), start: time.Now(), total: len(paths), sizes: make([]int64, len(paths))}
	for i, path := range paths {
		if fi, err := os.Stat(path); err == nil && !fi.IsDir() {
			p.sizes[i] = fi.Size()
			p.bytesTotal += fi.Size()
		}
	}
	return p
}

// done counts paths[i] as scored, with its scored lines.
func (p *scoreProgress) done(i, lines int) {
	if p == nil {
		return
	}
	p.files, p.bytesDone, p.lines = p.files+1, p.bytesDone+p.sizes[i], p.lines+lines
	last := p.files == p.total
	el := time.Since(p.start)
	p.line.Set(last, "score: %d/%d files, %d lines scored, %v, %s", p.files, p.total, p.lines,
		el.Round(time.Second), eta.String(el, float64(p.bytesDone), float64(p.bytesTotal)))
	if last {
		p.line.Done()
	}
}
