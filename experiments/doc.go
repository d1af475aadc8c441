// Package experiments will hold the runner that wires the stages into reproducible runs from
// experiments/*.toml files (see DESIGN.md, "Architecture"). Not implemented yet: tracked by the
// stage-2 issue.
package experiments
