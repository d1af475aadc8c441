package safetensors

import "errors"

// Sentinel errors. Every error returned by this package wraps at least one of them, so callers can
// test the kind of failure with errors.Is; the message names the file and the tensor involved.
var (
	// ErrTruncated reports a file too short for its 8-byte length prefix or for the header it
	// announces.
	ErrTruncated = errors.New("truncated safetensors file")
	// ErrBadHeader reports a header that is not the expected JSON: too large, not UTF-8, not an
	// object, wrong field types, missing or extra fields, or a malformed "__metadata__".
	ErrBadHeader = errors.New("bad safetensors header")
	// ErrOffsets reports data_offsets that are malformed, reversed, out of bounds, overlapping, or
	// that leave gaps or trailing bytes in the data buffer.
	ErrOffsets = errors.New("bad tensor data offsets")
	// ErrDType reports an unknown dtype, or a dtype a reading method cannot convert.
	ErrDType = errors.New("bad tensor dtype")
	// ErrShape reports a malformed shape, or a shape whose byte size does not match the tensor's
	// data (or an expected shape that differs from the stored one).
	ErrShape = errors.New("bad tensor shape")
	// ErrBadIndex reports a model.safetensors.index.json that is not the expected JSON object
	// with a "weight_map" of tensor names to local file names.
	ErrBadIndex = errors.New("bad safetensors index")
	// ErrMissing reports a tensor or file that should exist but does not.
	ErrMissing = errors.New("missing tensor or file")
	// ErrDuplicate reports a name that appears twice: a repeated JSON key, a tensor given twice to
	// the writer, or a tensor stored in two shards of a checkpoint.
	ErrDuplicate = errors.New("duplicate name")
	// ErrUnexpected reports a tensor that is present but not wanted: stored in a shard but not
	// listed for it in the index, or not among the names passed to CheckExpected.
	ErrUnexpected = errors.New("unexpected tensor")
)
