// Package states runs a model over source code and maps token-level states to source lines.
package states

import "github.com/pttrust/pttrust/internal/srclines"

// Line is one source line as a byte span of the text (srclines.Line: the rule lives in the leaf
// package internal/srclines, which datasets and models share).
type Line = srclines.Line

// SplitLines returns the lines of src (srclines.Split).
func SplitLines(src string) []Line { return srclines.Split(src) }

// LineOf returns the index of the line that contains byte offset off (srclines.Of).
func LineOf(ls []Line, off int) int { return srclines.Of(ls, off) }
