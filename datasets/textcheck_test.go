package datasets

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCheckText(t *testing.T) {
	require.ErrorIs(t, CheckText(nil), ErrEmptyFile)
	require.ErrorIs(t, CheckText([]byte("a\x00b")), ErrBinaryFile)
	require.ErrorIs(t, CheckText([]byte{0xff, 'a'}), ErrNotUTF8)
	require.ErrorIs(t, CheckText([]byte{0xff, 0}), ErrBinaryFile, "NUL first: binary")
	require.NoError(t, CheckText([]byte("x := 1 // ü\n")))
}
