package safetensors

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"
)

// entry is one tensor of a header, with offsets relative to the data buffer.
type entry struct {
	name       string
	dtype      DType
	shape      []int
	begin, end int64
}

// parseHeaderJSON decodes the JSON header strictly: it must be valid UTF-8, start with '{', be
// one object with no repeated keys and be followed only by whitespace (the writer's padding).
// Entries come back in header order.
func parseHeaderJSON(h []byte) ([]entry, map[string]string, error) {
	if !utf8.Valid(h) {
		return nil, nil, fmt.Errorf("%w: header is not valid UTF-8", ErrBadHeader)
	}
	if len(h) == 0 || h[0] != '{' {
		return nil, nil, fmt.Errorf("%w: header does not start with '{'", ErrBadHeader)
	}
	dec := json.NewDecoder(bytes.NewReader(h))
	dec.UseNumber()
	if err := expectDelim(dec, '{'); err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrBadHeader, err)
	}
	var (
		entries  []entry
		metadata map[string]string
		seen     = map[string]bool{}
	)
	for dec.More() {
		key, err := readKey(dec)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: %v", ErrBadHeader, err)
		}
		if seen[key] {
			return nil, nil, fmt.Errorf("%w: %w: key %q appears twice in the header", ErrBadHeader, ErrDuplicate, key)
		}
		seen[key] = true
		if key == metadataKey {
			if metadata, err = readMetadata(dec); err != nil {
				return nil, nil, err
			}
			continue
		}
		e, err := readEntry(dec, key)
		if err != nil {
			return nil, nil, err
		}
		entries = append(entries, e)
	}
	if err := expectDelim(dec, '}'); err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrBadHeader, err)
	}
	for _, c := range h[dec.InputOffset():] {
		if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			return nil, nil, fmt.Errorf("%w: non-whitespace byte %q after the header object", ErrBadHeader, c)
		}
	}
	return entries, metadata, nil
}

// readMetadata reads the value of "__metadata__": null, or an object of string values.
func readMetadata(dec *json.Decoder) (map[string]string, error) {
	tok, err := nextToken(dec)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrBadHeader, metadataKey, err)
	}
	if tok == nil {
		return nil, nil
	}
	if tok != json.Delim('{') {
		return nil, fmt.Errorf("%w: %s must be an object of strings, found %s", ErrBadHeader, metadataKey, describe(tok))
	}
	m := map[string]string{}
	for dec.More() {
		key, err := readKey(dec)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrBadHeader, metadataKey, err)
		}
		if _, dup := m[key]; dup {
			return nil, fmt.Errorf("%w: %w: key %q appears twice in %s", ErrBadHeader, ErrDuplicate, key, metadataKey)
		}
		tok, err := nextToken(dec)
		if err != nil {
			return nil, fmt.Errorf("%w: %s[%q]: %v", ErrBadHeader, metadataKey, key, err)
		}
		s, ok := tok.(string)
		if !ok {
			return nil, fmt.Errorf("%w: %s[%q] must be a string, found %s", ErrBadHeader, metadataKey, key, describe(tok))
		}
		m[key] = s
	}
	if err := expectDelim(dec, '}'); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrBadHeader, metadataKey, err)
	}
	return m, nil
}

// readEntry reads one tensor entry: an object with exactly dtype, shape and data_offsets.
func readEntry(dec *json.Decoder, name string) (entry, error) {
	e := entry{name: name}
	tok, err := nextToken(dec)
	if err != nil {
		return e, fmt.Errorf("%w: tensor %q: %v", ErrBadHeader, name, err)
	}
	if tok != json.Delim('{') {
		return e, fmt.Errorf("%w: tensor %q: entry must be an object, found %s", ErrBadHeader, name, describe(tok))
	}
	var hasDType, hasShape, hasOffsets bool
	for dec.More() {
		field, err := readKey(dec)
		if err != nil {
			return e, fmt.Errorf("%w: tensor %q: %v", ErrBadHeader, name, err)
		}
		switch field {
		case "dtype":
			if hasDType {
				return e, fmt.Errorf("%w: %w: tensor %q: field dtype appears twice", ErrBadHeader, ErrDuplicate, name)
			}
			hasDType = true
			tok, err := nextToken(dec)
			if err != nil {
				return e, fmt.Errorf("%w: tensor %q: dtype: %v", ErrBadHeader, name, err)
			}
			s, ok := tok.(string)
			if !ok {
				return e, fmt.Errorf("%w: tensor %q: dtype must be a string, found %s", ErrDType, name, describe(tok))
			}
			e.dtype = DType(s)
			if !e.dtype.Valid() {
				return e, fmt.Errorf("%w: tensor %q: unknown dtype %q", ErrDType, name, s)
			}
		case "shape":
			if hasShape {
				return e, fmt.Errorf("%w: %w: tensor %q: field shape appears twice", ErrBadHeader, ErrDuplicate, name)
			}
			hasShape = true
			dims, err := readInts(dec)
			if err != nil {
				return e, fmt.Errorf("%w: tensor %q: shape: %v", ErrShape, name, err)
			}
			e.shape = make([]int, len(dims))
			for i, d := range dims {
				if int64(int(d)) != d {
					return e, fmt.Errorf("%w: tensor %q: dimension %d does not fit in an int", ErrShape, name, d)
				}
				e.shape[i] = int(d)
			}
		case "data_offsets":
			if hasOffsets {
				return e, fmt.Errorf("%w: %w: tensor %q: field data_offsets appears twice", ErrBadHeader, ErrDuplicate, name)
			}
			hasOffsets = true
			offs, err := readInts(dec)
			if err != nil {
				return e, fmt.Errorf("%w: tensor %q: data_offsets: %v", ErrOffsets, name, err)
			}
			if len(offs) != 2 {
				return e, fmt.Errorf("%w: tensor %q: data_offsets must hold 2 numbers, found %d", ErrOffsets, name, len(offs))
			}
			e.begin, e.end = offs[0], offs[1]
		default:
			return e, fmt.Errorf("%w: tensor %q: unknown field %q", ErrBadHeader, name, field)
		}
	}
	if err := expectDelim(dec, '}'); err != nil {
		return e, fmt.Errorf("%w: tensor %q: %v", ErrBadHeader, name, err)
	}
	var missing []string
	for _, f := range []struct {
		name string
		ok   bool
	}{{"dtype", hasDType}, {"shape", hasShape}, {"data_offsets", hasOffsets}} {
		if !f.ok {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return e, fmt.Errorf("%w: tensor %q: missing field(s) %v", ErrBadHeader, name, missing)
	}
	return e, nil
}

// readInts reads a JSON array of non-negative integers that fit in int64. Numbers with a sign,
// fraction or exponent are refused, as the reference's usize fields refuse them.
func readInts(dec *json.Decoder) ([]int64, error) {
	if err := expectDelim(dec, '['); err != nil {
		return nil, err
	}
	var out []int64
	for dec.More() {
		tok, err := nextToken(dec)
		if err != nil {
			return nil, err
		}
		num, ok := tok.(json.Number)
		if !ok {
			return nil, fmt.Errorf("element %d must be a number, found %s", len(out), describe(tok))
		}
		s := string(num)
		for _, c := range []byte(s) {
			if c < '0' || c > '9' {
				if c == '-' {
					return nil, fmt.Errorf("element %d is negative: %s", len(out), s)
				}
				return nil, fmt.Errorf("element %d is not a whole number: %s", len(out), s)
			}
		}
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("element %d is too large: %s", len(out), s)
		}
		out = append(out, v)
	}
	if err := expectDelim(dec, ']'); err != nil {
		return nil, err
	}
	return out, nil
}

// nextToken reads the next JSON token; running out of input is reported as an unexpected end.
func nextToken(dec *json.Decoder) (json.Token, error) {
	tok, err := dec.Token()
	if err == io.EOF {
		err = fmt.Errorf("unexpected end of JSON")
	}
	return tok, err
}

// readKey reads an object key.
func readKey(dec *json.Decoder) (string, error) {
	tok, err := nextToken(dec)
	if err != nil {
		return "", err
	}
	s, ok := tok.(string)
	if !ok { // cannot happen with encoding/json (keys are always strings), kept for safety
		return "", fmt.Errorf("object key must be a string, found %s", describe(tok))
	}
	return s, nil
}

// expectDelim reads the next token and checks that it is the delimiter d.
func expectDelim(dec *json.Decoder, d json.Delim) error {
	tok, err := nextToken(dec)
	if err != nil {
		return err
	}
	if tok != d {
		return fmt.Errorf("expected %q, found %s", d, describe(tok))
	}
	return nil
}

// describe names a JSON token for error messages.
func describe(tok json.Token) string {
	switch v := tok.(type) {
	case nil:
		return "null"
	case json.Delim:
		return strconv.Quote(v.String())
	case string:
		return "string " + strconv.Quote(v)
	case json.Number:
		return "number " + v.String()
	case bool:
		return "boolean " + strconv.FormatBool(v)
	}
	return fmt.Sprintf("%v", tok)
}
