// Package datasets will hold the corpus walkers, the mutation engine, the benchmark importers
// (DebugBench, HumanEvalPack, buggy/fixed pairs) and the Parquet snippet schema (see
// DESIGN.md, "Architecture"). Not implemented yet: tracked by the datasets issue.
package datasets
