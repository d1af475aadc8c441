// Package tomlconf reads the project's TOML configuration files strictly: a file decodes over
// the typed defaults already in the target, and keys the target does not have are errors naming
// the file and every unknown key (a typo must not silently fall back to a default).
package tomlconf

import (
	"bytes"
	"fmt"
	"os"
	"strings"

	"github.com/BurntSushi/toml"
)

// Load reads path and decodes it into v (a pointer to a struct holding the defaults).
func Load(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("reading config: %w", err)
	}
	return Decode(data, path, v)
}

// Decode decodes data (read from path, used in errors) into v; unknown keys are an error.
func Decode(data []byte, path string, v any) error {
	md, err := toml.NewDecoder(bytes.NewReader(data)).Decode(v)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		keys := make([]string, len(und))
		for i, k := range und {
			keys[i] = k.String()
		}
		return fmt.Errorf("%s: unknown key(s) %s", path, strings.Join(keys, ", "))
	}
	return nil
}
