package report

import (
	"encoding/json"
	"fmt"
	"io"
)

// WriteJSON writes r as indented JSON: the Report struct with lower-case field names ("files",
// "lines", "latents", "examples"). Empty file and line lists are written as [] rather than null.
func WriteJSON(w io.Writer, r *Report) error {
	if err := r.Validate(); err != nil {
		return err
	}
	out := *r
	if out.Files == nil {
		out.Files = []File{}
	}
	out.Files = append([]File(nil), out.Files...)
	for i := range out.Files {
		if out.Files[i].Lines == nil {
			out.Files[i].Lines = []Line{}
		}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(&out); err != nil {
		return fmt.Errorf("report: writing JSON: %w", err)
	}
	return nil
}

// ReadJSON reads a report written by WriteJSON. Unknown fields are an error.
func ReadJSON(rd io.Reader) (*Report, error) {
	dec := json.NewDecoder(rd)
	dec.DisallowUnknownFields()
	var r Report
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("report: reading JSON: %w", err)
	}
	return &r, nil
}
