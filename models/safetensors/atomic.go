package safetensors

import (
	"bufio"
	"io"

	"github.com/pttrust/pttrust/internal/atomicfile"
)

// atomicWrite writes a file through fill atomically (see package atomicfile): on any error the
// target is left untouched and no temporary file remains.
func atomicWrite(path string, fill func(w *bufio.Writer) error) error {
	return atomicfile.Write(path, func(w io.Writer) error { return fill(w.(*bufio.Writer)) })
}
