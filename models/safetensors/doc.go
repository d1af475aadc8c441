// Package safetensors reads and writes tensors in the Hugging Face safetensors format.
//
// A safetensors file is an 8-byte little-endian header length N, N bytes of JSON header, and a
// data buffer. The header maps each tensor name to its dtype, shape and data_offsets (a
// [begin, end) byte range relative to the start of the data buffer); the optional "__metadata__"
// entry maps strings to strings.
//
// The reader is strict, stricter than the reference implementation where the reference is lax:
// the header must be UTF-8 JSON that starts with '{', keys must not repeat (at any level), every
// tensor entry has exactly the fields dtype, shape and data_offsets, dtypes are known, shapes are
// non-negative integers whose byte size equals the tensor's data range, and the tensors cover the
// data buffer exactly: no overlaps, no gaps, nothing past the end and nothing left over. Every
// error wraps one of the sentinel errors below (test with errors.Is) and names the file and, where
// one applies, the tensor.
//
// Tensor data is read on demand with ReadAt, one tensor at a time; a file is never loaded whole.
//
// The writer produces the bytes the reference Python/Rust library produces for the same tensors
// and metadata: tensors ordered by dtype alignment (largest first) and then by name, compact
// serde-style JSON with "__metadata__" first, the header padded with spaces to a multiple of 8
// bytes. Writes are atomic: a temporary file in the target directory is written, synced and
// renamed over the target, so a crash or an error never leaves a partial file under the final
// name. Checkpoints split over several files follow the Hugging Face layout
// (model-00001-of-00002.safetensors plus model.safetensors.index.json).
package safetensors
