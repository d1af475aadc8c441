package extract

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/pttrust/pttrust/internal/eta"
	status "github.com/pttrust/pttrust/internal/progress"
)

// progress prints a bar with lines and tokens per second and the padding fraction. On a terminal
// it redraws one line; elsewhere it prints a line at most every 10 s and after each shard.
type progress struct {
	w        io.Writer
	tty      bool
	start    time.Time
	last     time.Time
	total    int // snippets in the input
	done     int // snippets done (including those of shards found complete)
	resumed  int
	lines    int
	tokens   int // tokens run through the model
	real     int // real tokens in batches
	padded   int // tokens the backend computes (bucketed batch x length)
	rect     int // batch rows x longest row: padding before the backend's shape buckets
	problems int
	// The group being run: its snippets and tokens, and the tokens run so far, so the bar moves
	// with each batch instead of jumping a group at a time.
	groupSnippets, groupTokens, groupRun int
	drawn                                bool
	lastLine                             string
}

func newProgress(w io.Writer, total, resumed int) *progress {
	p := &progress{w: w, total: total, done: resumed, resumed: resumed, start: time.Now()}
	p.tty = status.IsTerminal(w)
	return p
}

// message prints a line (a problem, a shard written) without breaking the bar.
func (p *progress) message(format string, args ...any) {
	if p.w == nil {
		return
	}
	if p.tty && p.drawn {
		fmt.Fprint(p.w, "\r\033[K")
		p.drawn = false
	}
	fmt.Fprintf(p.w, format+"\n", args...)
}

// update redraws the bar when due (always when force).
func (p *progress) update(force bool) {
	if p.w == nil {
		return
	}
	now := time.Now()
	every := 10 * time.Second
	if p.tty {
		every = 250 * time.Millisecond
	}
	if !force && now.Sub(p.last) < every {
		return
	}
	p.last = now
	sec := max(now.Sub(p.start).Seconds(), 1e-9)
	frac, done := 1.0, float64(p.done)
	if p.groupTokens > 0 {
		done += float64(p.groupSnippets) * float64(p.groupRun) / float64(p.groupTokens)
	}
	if p.total > 0 {
		frac = min(1, done/float64(p.total))
	}
	const width = 24
	fill := int(frac * width)
	bar := strings.Repeat("#", fill) + strings.Repeat(".", width-fill)
	pad, packPad := p.padding(), 0.0
	if p.rect > 0 {
		packPad = 1 - float64(p.real)/float64(p.rect)
	}
	// The ETA counts the snippets done in this run (a shard at a time), not those resumed.
	left := eta.String(now.Sub(p.start), done-float64(p.resumed), float64(p.total-p.resumed))
	line := fmt.Sprintf("[%s] %3.0f%% snippets %d/%d  lines %d (%.0f/s)  tokens %d (%.0f/s)  padding %.1f%% (%.1f%% before shape buckets)  problems %d  %s",
		bar, 100*frac, p.done, p.total, p.lines, float64(p.lines)/sec, p.tokens, float64(p.tokens)/sec, 100*pad, 100*packPad, p.problems, left)
	key := fmt.Sprint(p.done, p.lines, p.tokens, p.problems, p.groupRun)
	if key == p.lastLine && !p.tty {
		return // nothing new since the last line
	}
	p.lastLine = key
	if p.tty {
		fmt.Fprint(p.w, "\r\033[K"+line)
		p.drawn = true
		return
	}
	fmt.Fprintln(p.w, line)
}

func (p *progress) finish() {
	p.update(true)
	if p.tty && p.drawn {
		fmt.Fprintln(p.w)
		p.drawn = false
	}
}

// padding is the share of padding in the tokens the backend computed so far.
func (p *progress) padding() float64 {
	if p.padded == 0 {
		return 0
	}
	return 1 - float64(p.real)/float64(p.padded)
}
