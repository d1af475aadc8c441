package progress

import (
	"bytes"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestLineThrottlesInALog(t *testing.T) {
	var buf bytes.Buffer
	l := New(&buf)
	require.False(t, l.tty)
	clock := time.Unix(0, 0)
	l.now = func() time.Time { return clock }
	l.Set(false, "a %d", 1) // the first is always shown
	clock = clock.Add(time.Second)
	l.Set(false, "b") // too soon
	clock = clock.Add(LogEvery)
	l.Set(false, "c")
	l.Set(true, "d") // forced
	l.Print("kept")
	require.Equal(t, "a 1\nc\nd\nkept\n", buf.String())
}

func TestLineRedrawsOnATerminal(t *testing.T) {
	var buf bytes.Buffer
	l := New(&buf)
	l.tty, l.every = true, Redraw
	l.Set(true, "x")
	l.Set(true, "y")
	l.Print("kept")
	l.Done() // nothing drawn since: no extra newline
	require.Equal(t, "\r\033[Kx\r\033[Ky\nkept\n", buf.String())
}

func TestNilAndTerminal(t *testing.T) {
	var l *Line
	l.Set(true, "x")
	l.Print("x")
	l.Done()
	require.Nil(t, New(nil))
	require.False(t, IsTerminal(&bytes.Buffer{}))
	f, err := os.CreateTemp(t.TempDir(), "log")
	require.NoError(t, err)
	defer f.Close()
	require.False(t, IsTerminal(f), "a regular file is not a terminal")
}
