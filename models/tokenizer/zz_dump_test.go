package tokenizer

import (
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

func TestZZDump(t *testing.T) {
	root := os.Getenv("ZZ_ROOT")
	if root == "" {
		t.Skip()
	}
	tj, _, _ := trained(t)
	if err := tj.WriteFile("/tmp/tok600.json"); err != nil {
		t.Fatal(err)
	}
	texts := map[string]string{}
	for _, f := range corpus(t) {
		texts["corpus/"+f.name] = f.text
	}
	for i, f := range repoGoFiles(t) {
		if i%5 == 0 {
			texts[f.name] = f.text
		}
	}
	var paths []string
	filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".go") {
			paths = append(paths, p)
		}
		return nil
	})
	sort.Strings(paths)
	rng := rand.New(rand.NewPCG(9, 9))
	for range 60 {
		p := paths[rng.IntN(len(paths))]
		data, _ := os.ReadFile(p)
		texts[p] = string(data)
	}
	extra := []string{"", "\n", "\r\n", "\r\r\n\n", "a  \n\n    return", "    return x", "x  ", "<|endoftext|>", "a<|endoftext|>b",
		"don't DON'T", "x=1234567+89", "é 变量 = 1 Ω 👨‍👩‍👧‍👦", "\t\tfoo()\r\n}\r\n", "trailing   \n", "\u00a0\u3000x", "a\u2028b\u0085c"}
	for i, s := range extra {
		texts["extra/"+string(rune('a'+i))] = s
	}
	out := map[string]any{}
	for _, name := range []string{"/tmp/tok600.json", "/tmp/tok8k.json"} {
		tk, err := Load(name)
		if err != nil {
			t.Fatal(err)
		}
		ids := map[string][]int{}
		for k, s := range texts {
			ids[k] = tk.IDs(tk.Encode(s))
		}
		out[name] = ids
	}
	data, _ := json.Marshal(map[string]any{"texts": texts, "ids": out})
	os.WriteFile("/tmp/zz_ids.json", data, 0o644)
	t.Logf("%d texts", len(texts))
}
