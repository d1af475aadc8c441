// Package gguf reads GGUF files, llama.cpp's single-file checkpoint format (versions 2 and 3),
// in one bounds-checked pass: the header, the typed metadata, the tensor infos and their
// alignment. Every count, length, shape and offset is checked against the file before it is
// used, so a truncated or corrupt file gives an error naming the file (and the key or tensor)
// instead of a panic or a huge allocation.
//
// Tensors are dequantized to float32 ([File.Float32]) from F32, F16, BF16, Q8_0, Q4_0, Q4_1,
// Q5_0, Q5_1 and the K-quants Q4_K, Q5_K and Q6_K, with the block layouts and the arithmetic
// of ggml's reference dequantizers (ggml-quants.c), each product and sum rounded to float32 in
// the same order, so the results equal llama.cpp's gguf-py reader bit for bit. Any other type
// is refused by name.
//
// [TokenizerJSON] turns the tokenizer that llama.cpp stores in the metadata
// (tokenizer.ggml.model "gpt2": byte-level BPE with the split regex named by
// tokenizer.ggml.pre) into a Hugging Face tokenizer.json document.
//
// Shapes: GGUF lists a tensor's dimensions fastest-varying first (ggml's ne[0] is the row
// length); [TensorInfo.Shape] reverses them into the row-major order of PyTorch and
// safetensors, so a Linear weight stored with ne = [in, out] has Shape [out, in].
package gguf
