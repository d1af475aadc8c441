// Package tomlconftest holds the checks the fuzz targets of the TOML configurations share: a
// configuration the loader accepts must survive a round trip through a TOML encoder, and hold
// no NaN or infinite number.
package tomlconftest

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"

	"github.com/pttrust/pttrust/internal/tomlconf"
)

// RoundTrip encodes v (a struct, not a pointer) as TOML and decodes the text strictly
// (tomlconf.Decode) into a zero value of v's type; the result must equal v. Fields the encoder
// skips (unexported, `toml:"-"`) must be zero in v.
func RoundTrip(v any) error {
	var buf bytes.Buffer
	if err := toml.NewEncoder(&buf).Encode(v); err != nil {
		return fmt.Errorf("an accepted configuration does not encode: %w", err)
	}
	p := reflect.New(reflect.TypeOf(v))
	if err := tomlconf.Decode(buf.Bytes(), "encoded.toml", p.Interface()); err != nil {
		return fmt.Errorf("an accepted configuration, encoded, does not decode: %w\n%s", err, buf.Bytes())
	}
	if got := p.Elem().Interface(); !reflect.DeepEqual(got, v) {
		return fmt.Errorf("round trip changed the configuration:\n%+v\n%+v\nencoded:\n%s", v, got, buf.Bytes())
	}
	return nil
}

// Finite returns an error naming the first float of v (by its Go field path) that is NaN or
// infinite.
func Finite(v any) error {
	return finite(reflect.ValueOf(v), "")
}

func finite(v reflect.Value, path string) error {
	switch v.Kind() {
	case reflect.Float32, reflect.Float64:
		if f := v.Float(); math.IsNaN(f) || math.IsInf(f, 0) {
			return fmt.Errorf("%s = %v is accepted", path, f)
		}
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			return finite(v.Elem(), path)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if err := finite(v.Field(i), path+"."+v.Type().Field(i).Name); err != nil {
				return err
			}
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			if err := finite(v.Index(i), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	case reflect.Map:
		for it := v.MapRange(); it.Next(); {
			if err := finite(it.Value(), fmt.Sprintf("%s[%v]", path, it.Key())); err != nil {
				return err
			}
		}
	}
	return nil
}

// Check is the body of a configuration fuzz target: data, written to a file named name, must
// either fail to load with an error naming the file, or load into a configuration that
// validates, holds no NaN or infinity, and survives a TOML round trip. clean (may be nil)
// clears what the loader sets that is not part of the file (such as the file's own path).
func Check[T any](t *testing.T, data []byte, name string, load func(string) (T, error), validate func(T) error, clean func(*T)) {
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := load(p)
	if err != nil {
		if !strings.Contains(err.Error(), p) {
			t.Fatalf("error does not name the file: %v", err)
		}
		return
	}
	if err := validate(cfg); err != nil {
		t.Fatalf("accepted but invalid: %v", err)
	}
	if err := Finite(cfg); err != nil {
		t.Fatal(err)
	}
	if clean != nil {
		clean(&cfg)
	}
	if err := RoundTrip(cfg); err != nil {
		t.Fatal(err)
	}
}
