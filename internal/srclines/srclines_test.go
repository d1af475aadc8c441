package srclines

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSplit(t *testing.T) {
	cases := []struct {
		src   string
		lines []string
	}{
		{"", nil},
		{"a", []string{"a"}},
		{"a\n", []string{"a"}},
		{"a\n\nb", []string{"a", "", "b"}},
		{"a\r\nb\r\n", []string{"a", "b"}},
		{"\tx := 1\r\n  y\n", []string{"\tx := 1", "  y"}},
		{"é变量\n😀", []string{"é变量", "😀"}},
		{"\n", []string{""}},
		{"a\r", []string{"a\r"}}, // only "\r\n" ends a line: a last "\r" is content
		{"\r", []string{"\r"}},
	}
	for _, c := range cases {
		lines := Split(c.src)
		var got []string
		for i, l := range lines {
			require.Equal(t, i, l.Index)
			got = append(got, l.Text(c.src))
		}
		require.Equal(t, c.lines, got, "%q", c.src)
		if len(lines) > 0 {
			require.Equal(t, len(c.src), lines[len(lines)-1].Next, "%q", c.src)
		}
	}
}

func TestOf(t *testing.T) {
	src := "ab\r\ncd\n\nef"
	lines := Split(src)
	want := []int{0, 0, 0, 0, 1, 1, 1, 2, 3, 3}
	for off, w := range want {
		require.Equal(t, w, Of(lines, off), "offset %d", off)
	}
	require.Equal(t, 3, Of(lines, len(src)))
}
