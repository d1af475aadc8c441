// Package pretrain is stage 1 of PtTrust (DESIGN.md, "The method"): a TopK sparse autoencoder
// trained on line states, with a contrastive hinge between original and mutated lines.
//
// # Model
//
// For a line state x (one hook's vector at the line's last token):
//
//	xn  = LayerNorm(x)                        (optional, no learned parameters: (x-μ)/sqrt(σ²+1e-5))
//	pre = W_enc (xn - b_pre) + b_enc          W_enc [dim, latents]  (or W_decᵀ when tied)
//	z   = TopK(ReLU(pre))                     the k largest positive values, others 0
//	x̂   = W_dec z + b_pre                     W_dec [latents, dim], rows of unit norm
//
// b_pre is initialised from the first b_pre_samples lines (mean or geometric median, Weiszfeld),
// decoder rows are random unit vectors (Seed) and the encoder starts as their transpose. The
// TopK threshold is found in the graph by bisection on float32 bit patterns (31 halvings, exact):
// GoMLX's Sort-based TopK runs a closure per comparison on the pure-Go backend and is thousands
// of times slower than the SAE's matmuls. On the pure-Go backend training finds the thresholds
// on the host instead (a quickselect per row over the step's pre-activations, hostkth.go): the
// same masks and weights, byte for byte, and 14 % more lines/s at 2048 latents.
//
// # Loss
//
//	L = Σ||x̂ - xn||² / Σ||xn - mean(xn)||²                     normalised MSE (= batch FVU)
//	  + aux_k_coef · AuxK                                       dead latents reconstruct the residual
//	  + cw · mean over pairs of max(0, m - ||ẑ_orig - ẑ_mut||)   ẑ = z / ||z||
//
// A latent is dead once it has not fired on dead_after_lines training lines (a counter kept in
// the checkpoint). AuxK (Gao et al. 2024) takes the aux_k largest ReLU pre-activations among the
// dead latents and asks them to reconstruct the main reconstruction's residual xn - x̂ (held
// fixed), normalised by the residual's variance; it is 0 while no latent is dead. cw is
// contrast_weight after cold_start_epochs epochs and 0 before. Since z ≥ 0, two unit latent
// vectors are at most √2 apart: the paper's margin 2 is never met and the hinge then acts as a
// constant push apart; the metrics report the share of pairs meeting the margin anyway.
//
// Optimisation: AdamW (β 0.9/0.999, decay on the encoder matrix only), linear warm-up then a
// constant rate, clipping by global gradient norm, the decoder gradient projected to keep the
// rows' norm, rows renormalised after each step. On the pure-Go backend the weight matrices'
// update runs on the host (one SIMD pass per matrix over the cores, the graph's float32 ops in
// its order, hostadam.go) and the step graph returns their gradients: the same bytes, 6-9 % more
// lines/s at 2048 latents.
//
// # Data
//
// Train reads an extraction directory (states/extract) through StatesSource: one hook's column,
// optionally one split. A mutated line (a buggy row with label 1 and original_line >= 0) pairs
// with the clean snippet's line original_line of the same pair_id; an original line and its
// mutated counterparts form an Item. Items are streamed through a shuffle buffer of
// shuffle_buffer lines (seeded by Seed and the epoch) and packed into batches of batch_size lines
// (an item never straddles two batches; the last batch of an epoch may be short and is masked).
// Data larger than memory_cache is streamed every epoch, never held whole; data that fits is held
// after the first whole pass and replayed (the same items in the same order). TrainOn takes any
// Source, e.g. a SliceSource in tests.
//
// # Runs and artifacts
//
// Every eval_every steps a MetricsRow is recorded (averages over the interval's batches: FVU,
// L0, dead %, AuxK loss, margin satisfied %, pair distance). Checkpoints (WorkDir/CheckpointFile:
// every variable, Adam moments and counters included, and the run position) are written every
// checkpoint_every steps, at the end and when the context is cancelled; a rerun with the same
// settings resumes and reaches the same weights as an uninterrupted run (epoch orders depend
// only on Seed and the epoch; the interrupted epoch is replayed up to its position). OutDir
// receives WeightsFile (SAELens layout: W_enc [d_in, d_sae], b_enc, W_dec [d_sae, d_in], b_dec =
// b_pre), ConfigFile (SAEConfig: dims, k, hook, layer, model, normalisation, seed, data manifest
// hash, the run's config), MetricsFile and CurvesFile. Load reads an SAE back; SAE.Encode runs
// the encoder in pure Go (float32 weights, float64 sums), SAE.EncodeOn on a GoMLX backend.
package pretrain
