package tomlconf_test

import (
	"strings"
	"testing"

	"github.com/pttrust/pttrust/internal/tomlconf"
	"github.com/pttrust/pttrust/internal/tomlconf/tomlconftest"
)

// fuzzConf has a field of every kind the project's configurations use.
type fuzzConf struct {
	Name   string              `toml:"name"`
	Seed   uint64              `toml:"seed"`
	Steps  int                 `toml:"steps"`
	Rate   float64             `toml:"rate"`
	On     bool                `toml:"on"`
	Langs  []string            `toml:"langs"`
	Groups map[string][]string `toml:"groups"`
	Sub    struct {
		Dims []int   `toml:"dims"`
		Eps  float32 `toml:"eps"`
	} `toml:"sub"`
	Sets []struct {
		Name string `toml:"name"`
		N    int64  `toml:"n"`
	} `toml:"sets"`
}

// FuzzDecode feeds arbitrary bytes to tomlconf.Decode over defaults. It must never panic: it returns an
// error that starts with the file's path, or a value that survives a round trip through a TOML
// encoder. The corpus is kept in testdata/fuzz/FuzzDecode.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		"", "name = \"x\"\nsteps = 3\n[sub]\ndims = [1, 2]\neps = 1e-5\n",
		"langs = [\"go\", 'py']\n[groups]\na = [\"x\"]\n[[sets]]\nname = \"s\"\nn = -4\n[[sets]]\n",
		"stpes = 3\n[sub]\nratio = 2\n", "steps = \"three\"\n", "rate = nan\non = true\nseed = 18446744073709551615\n",
		"sub.dims = []\n\"groups\".\"b c\" = []\n", "[sub]\n[sub]\n", "steps = 0x7fffffffffffffff\nrate = -inf\n",
		"name = \"\"\"\nmulti\\\n  line\"\"\"\n# comment\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c := fuzzConf{Name: "default", Steps: 1, Rate: 0.5, Langs: []string{"go"}}
		err := tomlconf.Decode(data, "dir/fuzz.toml", &c)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "dir/fuzz.toml: ") {
				t.Fatalf("error does not start with the file: %v", err)
			}
			return
		}
		if tomlconftest.Finite(c) != nil {
			return // NaN and infinities are TOML; the configurations' validators refuse them
		}
		if err := tomlconftest.RoundTrip(c); err != nil {
			t.Fatal(err)
		}
	})
}
