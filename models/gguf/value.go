package gguf

import (
	"fmt"
	"math"
)

// ValueType is the type tag of a metadata value (gguf.h's enum gguf_type).
type ValueType uint32

// The metadata value types.
const (
	ValUint8   ValueType = 0
	ValInt8    ValueType = 1
	ValUint16  ValueType = 2
	ValInt16   ValueType = 3
	ValUint32  ValueType = 4
	ValInt32   ValueType = 5
	ValFloat32 ValueType = 6
	ValBool    ValueType = 7
	ValString  ValueType = 8
	ValArray   ValueType = 9
	ValUint64  ValueType = 10
	ValInt64   ValueType = 11
	ValFloat64 ValueType = 12
)

var valueTypeNames = [...]string{"uint8", "int8", "uint16", "int16", "uint32", "int32", "float32",
	"bool", "string", "array", "uint64", "int64", "float64"}

// String is the type's name ("uint32"), or "type(N)" for an unknown tag.
func (v ValueType) String() string {
	if int(v) < len(valueTypeNames) {
		return valueTypeNames[v]
	}
	return fmt.Sprintf("type(%d)", uint32(v))
}

// scalarSize is the encoded size of a fixed-size value type; 0 for strings, arrays and unknown tags.
func (v ValueType) scalarSize() int {
	switch v {
	case ValUint8, ValInt8, ValBool:
		return 1
	case ValUint16, ValInt16:
		return 2
	case ValUint32, ValInt32, ValFloat32:
		return 4
	case ValUint64, ValInt64, ValFloat64:
		return 8
	}
	return 0
}

// Value is one metadata value. Scalars are held as the Go type of their tag (uint8 … float64,
// bool, string); arrays as a typed slice ([]string, []int32, []uint32, []float32, ... ; []bool
// for bools) with Elem giving the element tag. Nested arrays are refused by the reader (no
// model metadata uses them).
type Value struct {
	// Type is the value's tag.
	Type ValueType
	// Elem is the element tag of an array (Type == ValArray).
	Elem ValueType
	// V holds the value.
	V any
}

// Int returns an integer scalar of any width as an int64, and whether the value is one (a
// uint64 above the int64 range is not).
func (v Value) Int() (int64, bool) {
	switch x := v.V.(type) {
	case uint8:
		return int64(x), true
	case int8:
		return int64(x), true
	case uint16:
		return int64(x), true
	case int16:
		return int64(x), true
	case uint32:
		return int64(x), true
	case int32:
		return int64(x), true
	case uint64:
		if x > math.MaxInt64 {
			return 0, false
		}
		return int64(x), true
	case int64:
		return x, true
	}
	return 0, false
}

// Float returns a float32/float64 scalar (or an integer one) as a float64.
func (v Value) Float() (float64, bool) {
	switch x := v.V.(type) {
	case float32:
		return float64(x), true
	case float64:
		return x, true
	}
	if i, ok := v.Int(); ok {
		return float64(i), true
	}
	return 0, false
}

// Ints returns an integer array of any width as []int64.
func (v Value) Ints() ([]int64, bool) {
	switch x := v.V.(type) {
	case []uint8:
		return widen(x), true
	case []int8:
		return widen(x), true
	case []uint16:
		return widen(x), true
	case []int16:
		return widen(x), true
	case []uint32:
		return widen(x), true
	case []int32:
		return widen(x), true
	case []int64:
		return x, true
	case []uint64:
		out := make([]int64, len(x))
		for i, e := range x {
			if e > math.MaxInt64 {
				return nil, false
			}
			out[i] = int64(e)
		}
		return out, true
	}
	return nil, false
}

func widen[T uint8 | int8 | uint16 | int16 | uint32 | int32](x []T) []int64 {
	out := make([]int64, len(x))
	for i, e := range x {
		out[i] = int64(e)
	}
	return out
}

// describe is a short description of a value for error messages.
func (v Value) describe() string {
	if v.Type == ValArray {
		return "array of " + v.Elem.String()
	}
	return v.Type.String()
}

// Metadata is the key/value section of a file, in file order.
type Metadata struct {
	keys   []string
	values map[string]Value
	file   string
}

// Keys lists the keys in file order.
func (m *Metadata) Keys() []string { return m.keys }

// Get returns the value of key.
func (m *Metadata) Get(key string) (Value, bool) {
	v, ok := m.values[key]
	return v, ok
}

// String returns a string value; an error names the file and key when it is missing or not a
// string.
func (m *Metadata) String(key string) (string, error) {
	v, ok := m.values[key]
	if !ok {
		return "", fmt.Errorf("gguf: %s: metadata key %s is missing", m.file, key)
	}
	s, ok := v.V.(string)
	if !ok {
		return "", fmt.Errorf("gguf: %s: metadata key %s is a %s, want a string", m.file, key, v.describe())
	}
	return s, nil
}

// Int returns an integer value of any width; an error names the file and key when it is
// missing or not an integer.
func (m *Metadata) Int(key string) (int64, error) {
	v, ok := m.values[key]
	if !ok {
		return 0, fmt.Errorf("gguf: %s: metadata key %s is missing", m.file, key)
	}
	i, ok := v.Int()
	if !ok {
		return 0, fmt.Errorf("gguf: %s: metadata key %s is a %s, want an integer", m.file, key, v.describe())
	}
	return i, nil
}

// Float returns a float (or integer) value as a float64; an error names the file and key.
func (m *Metadata) Float(key string) (float64, error) {
	v, ok := m.values[key]
	if !ok {
		return 0, fmt.Errorf("gguf: %s: metadata key %s is missing", m.file, key)
	}
	f, ok := v.Float()
	if !ok {
		return 0, fmt.Errorf("gguf: %s: metadata key %s is a %s, want a number", m.file, key, v.describe())
	}
	return f, nil
}

// Bool returns a bool value; def when the key is absent; an error when it is not a bool.
func (m *Metadata) Bool(key string, def bool) (bool, error) {
	v, ok := m.values[key]
	if !ok {
		return def, nil
	}
	b, ok := v.V.(bool)
	if !ok {
		return false, fmt.Errorf("gguf: %s: metadata key %s is a %s, want a bool", m.file, key, v.describe())
	}
	return b, nil
}

// Strings returns a string array; an error names the file and key.
func (m *Metadata) Strings(key string) ([]string, error) {
	v, ok := m.values[key]
	if !ok {
		return nil, fmt.Errorf("gguf: %s: metadata key %s is missing", m.file, key)
	}
	s, ok := v.V.([]string)
	if !ok {
		return nil, fmt.Errorf("gguf: %s: metadata key %s is a %s, want an array of string", m.file, key, v.describe())
	}
	return s, nil
}

// Ints returns an integer array of any width; an error names the file and key.
func (m *Metadata) Ints(key string) ([]int64, error) {
	v, ok := m.values[key]
	if !ok {
		return nil, fmt.Errorf("gguf: %s: metadata key %s is missing", m.file, key)
	}
	s, ok := v.Ints()
	if !ok {
		return nil, fmt.Errorf("gguf: %s: metadata key %s is a %s, want an array of integers", m.file, key, v.describe())
	}
	return s, nil
}
