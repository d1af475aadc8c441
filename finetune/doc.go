// Package finetune is stage 2 of PtTrust, the semantic binding (see DESIGN.md, "The method"): a
// small MLP maps the features of one line of code (its SAE latents, or for the probe baselines
// its raw or PCA-reduced hidden state) to a risk score, and is trained per snippet with a
// listwise learning-to-rank loss, so that the buggy lines of a snippet rank first.
//
// The pieces:
//   - Config (config.go): the typed, TOML-loadable settings; DefaultConfig is the paper's setup
//     (4 layers, hidden 32, NeuralNDCG).
//   - The losses (neuralsort.go, losses.go), graph functions over padded batches of lists
//     [B, n] with a mask: NeuralNDCG (NeuralSort relaxed permutation matrices made doubly
//     stochastic by Sinkhorn scaling), ApproxNDCG, ListNet and pointwise BCE, plus the
//     snippet-level BCE on an aggregate (last / mean / max) of the line logits.
//   - The MLP (mlp.go): a graph forward for training and a pure-Go forward for scoring.
//   - Train (train.go): AdamW with global-norm clipping, deterministic from Config.Seed, best
//     epoch chosen on validation NDCG, and the flagging threshold chosen by the Youden index
//     (eval.Youden) on the validation lines.
//   - Assessor (assessor.go): the trained binding; Score/ScoreList/SnippetScore in pure Go;
//     Save/Load as binding.safetensors + cfg.json.
//   - PCA (pca.go): the PCA reduction of the "probe on PCA states" baseline.
//   - ListsFromStates, ListsFromRawStates (data.go): Lists from an extraction directory, with
//     SAE latents or raw states as features; Run (run.go) is `pttrust finetune`.
package finetune
