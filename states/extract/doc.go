// Package extract runs a model over a snippets file and writes line-level records: the hidden
// state at each line's last token for chosen hooks, and per-line token statistics (DESIGN.md,
// "Architecture": states/*.parquet). It lives below states because the models package imports
// states (for SplitLines), so states itself cannot import models.
//
// # Definitions
//
// Tokens and lines. A snippet is tokenized with byte offsets (with the model's template, e.g. a
// BOS, when the tokenizer has one, as models.ScoreText does). Lines are states.SplitLines (CRLF:
// the "\r" is part of the terminator; a last line without a newline is a line). Every token
// belongs to the line it STARTS on (states.LineOf(token.Start)), so a token spanning a newline
// (Qwen3's "\n\n", ")\n") belongs to the line where it starts; special tokens belong to no line.
// A line's last token is the last token that starts on it: for most lines the newline token (or
// a merged token holding the newline), for a last line without a newline its last token. A line
// on which no token starts (a token from an earlier line spans it) is reported as not scored.
// Blank lines and punctuation-only lines (datasets.Scorable) are dropped silently.
//
// Per-line values, over the tokens starting on the line:
//   - token_count: their number;
//   - mean_logprob, min_logprob: mean and min of token_logprob, skipping NaN (the first token of
//     a window has no prediction); NaN when none has one;
//   - mean_entropy: mean token_entropy over the same tokens;
//   - lookback_ratio: mean over the line's tokens of the attention mass, averaged over the heads
//     of the attention layer, on positions BEFORE the line's first token (earlier context,
//     inside the window; a BOS counts as earlier context). The attention layer is
//     Config.AttentionLayer, by default the layer of the first hook. The model reduces it in
//     its graph (hook models.AttnLookback, with each token's line start as the boundary), so
//     only one value per token leaves the pass and the layer keeps the backend's fused
//     attention kernel; it costs about 2 % of the forward pass. Config.NoLookback skips it
//     (NaN).
//   - state_<hook>: the hook's vector at the line's last token, for each of Config.Hooks (by
//     default blocks.{L}.resid_post with L = layers/4, the paper's early layer). Only the
//     line-end vectors leave the pass (models.Request.Positions gathers them in the graph):
//     copying out every token's state cost ~8 % of a pass on a d256 model, the gather ~1 %.
//
// Long snippets. Snippets run in windows of W tokens (Config.Window, default min(context, 1024))
// on the grid of models.ScoreText: window k covers tokens [k*W/2, k*W/2 + W). Every line is
// scored exactly once, in the first window that holds all its tokens. That is the window giving
// the line the most context: a line inside the first W tokens is scored in the first window,
// with exactly the values of a single pass, and any other line's last token (whose state is
// kept) has at least W - W/2 tokens before it in its window. A line that no grid window holds
// (longer than W/2 + 1 tokens, straddling two windows) gets its own window ending at its last
// token; a line longer than W tokens is not scored (reported). Only windows that score a line
// run, and each runs only up to the last token of the lines it scores (attention is causal).
//
// Batching. Snippets are taken in groups of 256 (within a shard); their windows are sorted by
// length, longest first, and packed into batches of a power-of-two number of rows whose padded
// size (rows x models.BucketLen(longest), buckets four per doubling of the length) stays under
// Config.BatchTokens, and whose attention scores (rows x heads x length², materialised in the
// graph for the lookback ratio) stay under 32 Mi floats. Batches depend only on the group. The
// progress bar reports the padding fraction: 1 - real tokens / tokens the backend computes.
//
// In memory. Lines returns the rows of the same computation for a slice of snippets, without
// files (for `pttrust score`): the rows an Extract run with the same settings writes for them
// when one shard holds them all.
//
// # Output
//
// OutDir/shard-00000.parquet, shard-00001.parquet, ...: shard i holds the rows of input snippets
// [i*ShardSnippets, (i+1)*ShardSnippets), in input order, one row per scored line, zstd
// compressed. Columns: snippet_id, pair_id, language, source, task, role, split (strings, the
// snippet's), line (0-based), label and original_line (the snippet's entries for the line),
// token_count, context_tokens (the position of the line's last token in its window),
// mean_logprob, min_logprob, mean_entropy, lookback_ratio (float32), then one LIST<FLOAT> column
// per hook named StateColumn(hook) = "state_" + hook with "." replaced by "_"
// (state_blocks_2_resid_post). pyarrow, DuckDB and pandas read the shards as they are
// (duckdb: SELECT * FROM 'out/shard-*.parquet').
//
// OutDir/manifest.json (Manifest) records the settings that decide the bytes (model identity:
// config.json and tokenizer.json SHA-256 and weight sizes; data SHA-256; hooks; window; batch
// tokens; shard size; attention layer; backend) and their hash, the paths given, the code version,
// and per shard its snippet range, row and token counts, SHA-256, size and problems (snippets
// skipped, lines not scored, with reasons). Shards and manifest are written atomically (temp
// file + rename); the manifest is rewritten after each shard.
//
// Resuming. A run in a directory whose manifest has the same settings hash keeps the shards whose
// bytes match the manifest and starts at the first snippet after them; shards depend only on
// their own snippets and the settings, so a killed run's rerun writes the same bytes as an
// uninterrupted run. A manifest with other settings is an error.
//
// Bad input. A snippet that fails datasets.Snippet.Validate (code not UTF-8, empty code, unknown
// language, labels not one per line) is reported and skipped; a line longer than the window is
// reported and not scored; the run goes on. Memory stays bounded: snippets are streamed one row
// group at a time and at most one shard of rows is held.
package extract
