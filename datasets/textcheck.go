package datasets

import (
	"bytes"
	"errors"
	"unicode/utf8"
)

// The reasons a file's bytes are not source text, worded alike by every command that reads
// files (score, lm logprobs).
var (
	ErrEmptyFile  = errors.New("empty file")
	ErrBinaryFile = errors.New("binary file (holds NUL bytes)")
	ErrNotUTF8    = errors.New("not valid UTF-8 text")
)

// CheckText returns ErrEmptyFile, ErrBinaryFile or ErrNotUTF8 when data is not source text a
// model can read, nil otherwise.
func CheckText(data []byte) error {
	switch {
	case len(data) == 0:
		return ErrEmptyFile
	case bytes.IndexByte(data, 0) >= 0:
		return ErrBinaryFile
	case !utf8.Valid(data):
		return ErrNotUTF8
	}
	return nil
}
