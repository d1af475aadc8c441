package safetensors

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// WriteSharded writes tensors as a Hugging Face checkpoint in dir (created if needed). Tensors are
// packed in the given order into shards of at most maxShardBytes data bytes each (a larger tensor
// gets a shard of its own). One shard is written as plain model.safetensors; several as
// model-00001-of-0000n.safetensors … plus model.safetensors.index.json, whose metadata holds
// total_size (data bytes) and the entries of metadata; each shard also carries metadata. A
// maxShardBytes of 0 or less means no limit. Every file is written atomically.
//
// Files of an earlier checkpoint in dir that the new one replaces are removed: the index and
// its shards when a single file is written, a model.safetensors and unused shards when shards are
// written. The old index is removed before new shards are written and the new index is written
// last, so an interrupted write never leaves an index that mixes old and new shards.
func WriteSharded(dir string, tensors []Tensor, metadata map[string]string, maxShardBytes int64) error {
	if err := validateTensors(tensors, metadata); err != nil {
		return fmt.Errorf("safetensors %s: %w", dir, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("safetensors %s: %w", dir, err)
	}
	shards := packShards(tensors, maxShardBytes)
	oldShards := previousShards(dir)
	idxPath := filepath.Join(dir, IndexFileName)

	if len(shards) <= 1 {
		if err := WriteFile(filepath.Join(dir, SingleFileName), tensors, metadata); err != nil {
			return err
		}
		if err := removeIfExists(idxPath); err != nil {
			return fmt.Errorf("safetensors %s: removing the previous index: %w", dir, err)
		}
		return removeShards(dir, oldShards, nil)
	}

	if err := removeIfExists(idxPath); err != nil {
		return fmt.Errorf("safetensors %s: removing the previous index: %w", dir, err)
	}
	weightMap := make(map[string]string, len(tensors))
	newShards := map[string]bool{}
	var total int64
	for i, shard := range shards {
		name := shardName(i, len(shards))
		newShards[name] = true
		if err := WriteFile(filepath.Join(dir, name), shard, metadata); err != nil {
			return err
		}
		for _, t := range shard {
			weightMap[t.Name] = name
			total += int64(len(t.Data))
		}
	}
	indexMeta := make(map[string]any, len(metadata)+1)
	for k, v := range metadata {
		indexMeta[k] = v
	}
	indexMeta["total_size"] = total
	err := atomicWrite(idxPath, func(w *bufio.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			Metadata  map[string]any    `json:"metadata"`
			WeightMap map[string]string `json:"weight_map"`
		}{indexMeta, weightMap})
	})
	if err != nil {
		return fmt.Errorf("safetensors %s: %w", idxPath, err)
	}
	if err := removeIfExists(filepath.Join(dir, SingleFileName)); err != nil {
		return fmt.Errorf("safetensors %s: removing the previous %s: %w", dir, SingleFileName, err)
	}
	return removeShards(dir, oldShards, newShards)
}

// packShards splits tensors, in order, into groups of at most maxBytes data bytes.
func packShards(tensors []Tensor, maxBytes int64) [][]Tensor {
	if len(tensors) == 0 {
		return nil
	}
	var shards [][]Tensor
	var cur []Tensor
	var size int64
	for _, t := range tensors {
		n := int64(len(t.Data))
		if maxBytes > 0 && len(cur) > 0 && size+n > maxBytes {
			shards = append(shards, cur)
			cur, size = nil, 0
		}
		cur = append(cur, t)
		size += n
	}
	return append(shards, cur)
}

// previousShards returns the shard files named by an existing index in dir, restricted to plain
// file names in the shard naming scheme (nothing else is ever deleted). A missing or unreadable
// index gives none.
func previousShards(dir string) []string {
	data, err := os.ReadFile(filepath.Join(dir, IndexFileName))
	if err != nil {
		return nil
	}
	idx, err := parseIndex(data)
	if err != nil {
		return nil
	}
	seen := map[string]bool{}
	var out []string
	for _, file := range idx.weightMap {
		if !seen[file] && filepath.Base(file) == file && shardPattern.MatchString(file) {
			seen[file] = true
			out = append(out, file)
		}
	}
	return out
}

// removeShards deletes the old shard files that are not part of the new checkpoint.
func removeShards(dir string, old []string, keep map[string]bool) error {
	for _, file := range old {
		if keep[file] {
			continue
		}
		if err := removeIfExists(filepath.Join(dir, file)); err != nil {
			return fmt.Errorf("safetensors %s: removing the previous shard %s: %w", dir, file, err)
		}
	}
	return nil
}

// removeIfExists removes path, treating a missing file as success.
func removeIfExists(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}
