// Package progress draws a status line: on a terminal it is redrawn in place (at most four times
// a second); elsewhere (a log file, CI) it is printed as a line at most every ten seconds, so long
// jobs show they are alive without flooding a log.
package progress

import (
	"fmt"
	"io"
	"os"
	"time"
)

// Redraw and LogEvery are how often the line is updated on a terminal and elsewhere.
const (
	Redraw   = 250 * time.Millisecond
	LogEvery = 10 * time.Second
)

// IsTerminal reports whether w is a character device (a terminal).
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// Line is one status line on w. A nil *Line (or one on a nil writer) does nothing.
type Line struct {
	w     io.Writer
	tty   bool
	every time.Duration
	last  time.Time
	drawn bool
	now   func() time.Time
}

// New returns a status line on w (nil: none).
func New(w io.Writer) *Line {
	if w == nil {
		return nil
	}
	l := &Line{w: w, tty: IsTerminal(w), every: LogEvery, now: time.Now}
	if l.tty {
		l.every = Redraw
	}
	return l
}

// Set shows the status when an update is due (the first always is); force shows it now.
func (l *Line) Set(force bool, format string, args ...any) {
	if l == nil {
		return
	}
	now := l.now()
	if !force && !l.last.IsZero() && now.Sub(l.last) < l.every {
		return
	}
	l.last = now
	s := fmt.Sprintf(format, args...)
	if l.tty {
		fmt.Fprint(l.w, "\r\033[K"+s)
		l.drawn = true
		return
	}
	fmt.Fprintln(l.w, s)
}

// Print prints a line that stays, clearing a redrawn status first.
func (l *Line) Print(format string, args ...any) {
	if l == nil {
		return
	}
	l.Done()
	fmt.Fprintf(l.w, format+"\n", args...)
}

// Done ends a redrawn status line so that what follows starts on a line of its own.
func (l *Line) Done() {
	if l == nil {
		return
	}
	if l.tty && l.drawn {
		fmt.Fprintln(l.w)
		l.drawn = false
	}
}
