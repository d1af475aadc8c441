// Package eval holds the line-ranking metrics of DESIGN.md, "Evaluation": per-snippet top-k hit
// rate, any-hit and precision@k, line-level AUROC and AUPRC, F1 at the Youden threshold, 95 %
// bootstrap confidence intervals resampling snippets, result tables and cross-source matrices
// (Markdown / CSV), and PNG plots.
package eval
