package eta

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestLeft(t *testing.T) {
	left, ok := Left(10*time.Second, 1, 4)
	require.True(t, ok)
	require.Equal(t, 30*time.Second, left)
	_, ok = Left(10*time.Second, 0, 4)
	require.False(t, ok, "nothing done: unknown")
	left, ok = Left(time.Minute, 5, 5)
	require.True(t, ok)
	require.Zero(t, left)
	require.Equal(t, "ETA 30s", String(10*time.Second, 1, 4))
	require.Equal(t, "ETA ?", String(0, 0, 4))
	require.Equal(t, "ETA 3h0m0s", String(time.Hour, 1, 4))
	require.Equal(t, "ETA 1m42s", String(20*time.Second+300*time.Millisecond, 1, 6)) // 101.5 s, rounded
}
