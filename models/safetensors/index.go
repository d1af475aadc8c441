package safetensors

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
)

// File names of a Hugging Face checkpoint directory.
const (
	// SingleFileName is the file of an unsharded checkpoint.
	SingleFileName = "model.safetensors"
	// IndexFileName is the index of a sharded checkpoint; it maps tensor names to shard files.
	IndexFileName = "model.safetensors.index.json"
)

// shardPattern matches the shard names WriteSharded (and Hugging Face) use.
var shardPattern = regexp.MustCompile(`^model-[0-9]{5,}-of-[0-9]{5,}\.safetensors$`)

// shardName returns the name of shard i (0-based) of n.
func shardName(i, n int) string {
	return fmt.Sprintf("model-%05d-of-%05d.safetensors", i+1, n)
}

// index is a parsed model.safetensors.index.json.
type index struct {
	metadata  map[string]any
	weightMap map[string]string
}

// parseIndex decodes an index strictly: one JSON object with an optional "metadata" object and a
// required "weight_map" object of tensor name → local file name; no key may repeat, at the top
// level or in weight_map. Other top-level keys are ignored. Errors wrap ErrBadIndex.
func parseIndex(data []byte) (index, error) {
	var idx index
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := expectDelim(dec, '{'); err != nil {
		return idx, fmt.Errorf("%w: %v", ErrBadIndex, err)
	}
	seen := map[string]bool{}
	for dec.More() {
		key, err := readKey(dec)
		if err != nil {
			return idx, fmt.Errorf("%w: %v", ErrBadIndex, err)
		}
		if seen[key] {
			return idx, fmt.Errorf("%w: %w: key %q appears twice", ErrBadIndex, ErrDuplicate, key)
		}
		seen[key] = true
		switch key {
		case "metadata":
			var m map[string]any
			if err := dec.Decode(&m); err != nil {
				return idx, fmt.Errorf("%w: metadata must be an object: %v", ErrBadIndex, err)
			}
			idx.metadata = m
		case "weight_map":
			if idx.weightMap, err = readWeightMap(dec); err != nil {
				return idx, err
			}
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return idx, fmt.Errorf("%w: %s: %v", ErrBadIndex, key, err)
			}
		}
	}
	if err := expectDelim(dec, '}'); err != nil {
		return idx, fmt.Errorf("%w: %v", ErrBadIndex, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return idx, fmt.Errorf("%w: data after the index object", ErrBadIndex)
	}
	if !seen["weight_map"] {
		return idx, fmt.Errorf("%w: no weight_map", ErrBadIndex)
	}
	return idx, nil
}

// readWeightMap reads the weight_map object. File names must be local paths (no absolute paths,
// no "..") so an index cannot point outside its directory.
func readWeightMap(dec *json.Decoder) (map[string]string, error) {
	if err := expectDelim(dec, '{'); err != nil {
		return nil, fmt.Errorf("%w: weight_map must be an object: %v", ErrBadIndex, err)
	}
	wm := map[string]string{}
	for dec.More() {
		name, err := readKey(dec)
		if err != nil {
			return nil, fmt.Errorf("%w: weight_map: %v", ErrBadIndex, err)
		}
		if _, dup := wm[name]; dup {
			return nil, fmt.Errorf("%w: %w: tensor %q appears twice in weight_map", ErrBadIndex, ErrDuplicate, name)
		}
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("%w: weight_map[%q]: %v", ErrBadIndex, name, err)
		}
		file, ok := tok.(string)
		if !ok {
			return nil, fmt.Errorf("%w: weight_map[%q] must be a file name, found %s", ErrBadIndex, name, describe(tok))
		}
		if !filepath.IsLocal(file) {
			return nil, fmt.Errorf("%w: weight_map[%q] = %q is not a file inside the checkpoint directory", ErrBadIndex, name, file)
		}
		wm[name] = file
	}
	if err := expectDelim(dec, '}'); err != nil {
		return nil, fmt.Errorf("%w: weight_map: %v", ErrBadIndex, err)
	}
	return wm, nil
}
