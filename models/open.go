package models

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/gomlx/compute"

	"github.com/pttrust/pttrust/models/gguf"
	"github.com/pttrust/pttrust/models/tokenizer"
)

// TokenizerFile is the name of the tokenizer in a checkpoint directory.
const TokenizerFile = "tokenizer.json"

// IsGGUF reports whether path names a GGUF file (a regular file starting with the GGUF magic)
// rather than a Hugging Face checkpoint directory.
func IsGGUF(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode().IsRegular() && gguf.IsGGUF(path)
}

// LoadWithTokenizer loads a model and its tokenizer from path: a Hugging Face checkpoint
// directory (config.json, safetensors weights, tokenizer.json) or a GGUF file (weights
// dequantized to float32, tokenizer from its metadata). It checks that every token id the
// tokenizer can produce fits the model's vocabulary.
func LoadWithTokenizer(path string, backend compute.Backend) (*Model, *tokenizer.Tokenizer, error) {
	var m *Model
	var err error
	if IsGGUF(path) {
		m, err = LoadGGUF(path, backend)
	} else if st, serr := os.Stat(path); serr == nil && st.Mode().IsRegular() {
		return nil, nil, fmt.Errorf("models: %s is a file but not a GGUF file (no GGUF magic); --model takes a checkpoint directory or a .gguf file", path)
	} else {
		m, err = Load(path, backend)
	}
	if err != nil {
		return nil, nil, err
	}
	tok, err := LoadTokenizer(path)
	if err != nil {
		return nil, nil, err
	}
	if tok.VocabSize() > m.Config.VocabSize {
		return nil, nil, fmt.Errorf("models: %s: tokenizer has %d tokens but the model's vocab_size is %d", path, tok.VocabSize(), m.Config.VocabSize)
	}
	return m, tok, nil
}

// LoadTokenizer reads the tokenizer of a checkpoint directory (tokenizer.json) or of a GGUF
// file (its tokenizer.ggml.* metadata).
func LoadTokenizer(path string) (*tokenizer.Tokenizer, error) {
	if !IsGGUF(path) {
		tok, err := tokenizer.Load(filepath.Join(path, TokenizerFile))
		if err != nil {
			return nil, fmt.Errorf("models: %w", err)
		}
		return tok, nil
	}
	tj, cj, err := ggufTokenizer(path)
	if err != nil {
		return nil, err
	}
	tok, err := tokenizer.FromJSONWithConfig(tj, cj)
	if err != nil {
		return nil, fmt.Errorf("models: %s: %w", path, err)
	}
	return tok, nil
}

// ggufTokenizer renders a GGUF file's tokenizer as tokenizer.json and tokenizer_config.json.
func ggufTokenizer(path string) (tokJSON, cfgJSON []byte, err error) {
	f, err := gguf.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("models: %w", err)
	}
	defer f.Close()
	tj, cj, err := f.TokenizerJSON()
	if err != nil {
		return nil, nil, fmt.Errorf("models: %w", err)
	}
	return tj, cj, nil
}

// Fingerprint identifies a model's files without reading its weights: the SHA-256 of its
// architecture and of its tokenizer, and the bytes of its weights. For a checkpoint directory
// these are config.json, tokenizer.json and the *.safetensors files; for a GGUF file, the
// header and metadata section (which hold both) and the file's size.
type Fingerprint struct {
	// ConfigSHA256 hashes config.json (directory) or the GGUF header and metadata.
	ConfigSHA256 string
	// TokenizerSHA256 hashes tokenizer.json (directory) or the tokenizer.json rendered from
	// the GGUF metadata.
	TokenizerSHA256 string
	// Weights lists the weight files with their sizes, sorted by name.
	Weights []WeightFile
}

// WeightFile is one weight file of a model.
type WeightFile struct {
	Name  string
	Bytes int64
}

// WeightsBytes is the total size of the weight files.
func (f Fingerprint) WeightsBytes() int64 {
	var n int64
	for _, w := range f.Weights {
		n += w.Bytes
	}
	return n
}

// FingerprintOf reads the fingerprint of a checkpoint directory or a GGUF file.
func FingerprintOf(path string) (Fingerprint, error) {
	var fp Fingerprint
	if IsGGUF(path) {
		raw, err := os.Open(path)
		if err != nil {
			return fp, fmt.Errorf("models: %w", err)
		}
		defer raw.Close()
		st, err := raw.Stat()
		if err != nil {
			return fp, fmt.Errorf("models: %w", err)
		}
		f, err := gguf.Parse(raw, st.Size(), path)
		if err != nil {
			return fp, fmt.Errorf("models: %w", err)
		}
		h := sha256.New()
		if _, err := io.Copy(h, io.NewSectionReader(raw, 0, min(f.DataOffset, f.Size))); err != nil {
			return fp, fmt.Errorf("models: %s: %w", path, err)
		}
		fp.ConfigSHA256 = hex.EncodeToString(h.Sum(nil))
		tj, _, err := f.TokenizerJSON()
		if err != nil {
			return fp, fmt.Errorf("models: %w", err)
		}
		sum := sha256.Sum256(tj)
		fp.TokenizerSHA256 = hex.EncodeToString(sum[:])
		fp.Weights = []WeightFile{{Name: filepath.Base(path), Bytes: f.Size}}
		return fp, nil
	}
	var err error
	if fp.ConfigSHA256, err = fileSHA256(filepath.Join(path, ConfigFile)); err != nil {
		return fp, err
	}
	if fp.TokenizerSHA256, err = fileSHA256(filepath.Join(path, TokenizerFile)); err != nil {
		return fp, err
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		return fp, fmt.Errorf("models: %w", err)
	}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".safetensors") {
			info, err := e.Info()
			if err != nil {
				return fp, fmt.Errorf("models: %w", err)
			}
			fp.Weights = append(fp.Weights, WeightFile{Name: e.Name(), Bytes: info.Size()})
		}
	}
	slices.SortFunc(fp.Weights, func(a, b WeightFile) int { return strings.Compare(a.Name, b.Name) })
	return fp, nil
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("models: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("models: %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// ConfigOf reads the architecture of a checkpoint directory (config.json) or a GGUF file (its
// metadata) without loading the weights.
func ConfigOf(path string) (*Config, error) {
	if !IsGGUF(path) {
		return LoadConfig(path)
	}
	f, err := gguf.Open(path)
	if err != nil {
		return nil, fmt.Errorf("models: %w", err)
	}
	defer f.Close()
	return ConfigFromGGUF(f)
}
