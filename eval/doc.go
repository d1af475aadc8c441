// Package eval will hold the line-ranking metrics (top-k hit rate, any-hit, precision@k, AUROC,
// AUPRC, F1 at the Youden threshold), the baselines and the cross-task/cross-language matrices
// (see DESIGN.md, "Evaluation"). Not implemented yet: tracked by the stage-2 issue.
package eval
