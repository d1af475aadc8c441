package extract

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The bar moves with the batches of a group: half of a 50-snippet group's tokens run out of 100
// snippets is 25 %, with an ETA, before any snippet of the group is done.
func TestProgressWithinAGroup(t *testing.T) {
	var buf bytes.Buffer
	p := newProgress(&buf, 100, 0)
	p.update(true)
	require.Contains(t, buf.String(), "  0% snippets 0/100")
	require.Contains(t, buf.String(), "ETA ?")
	buf.Reset()
	p.groupSnippets, p.groupTokens, p.groupRun = 50, 1000, 500
	p.update(true)
	line := buf.String()
	require.Contains(t, line, " 25% snippets 0/100", line)
	require.NotContains(t, line, "ETA ?", line)
	require.Equal(t, 1, strings.Count(line, "\n"))
}
