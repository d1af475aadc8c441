"""Builds the Markdown table of `just bench-peers` (scripts/peers/run.sh) from its raw JSON lines:
one row per measure, pttrust's value, the peer's, and the ratio pttrust ÷ peer (above 1: pttrust
is faster; for FVU, lower is better). Prints Markdown.

  python table.py results/peers/raw.jsonl > results/peers/peers.md
"""
import json
import sys


def fmt(v, unit=""):
    if v is None:
        return "—"
    s = f"{v:,.0f}".replace(",", " ") if v >= 100 else f"{v:.3g}"
    return s + (" " + unit if unit else "")


def lr_key(v):
    return f"{float(v):.3g}"


def ratio_ci(ours, theirs, reps=2000, seed=0):
    """95 % paired-bootstrap interval of the test-FVU ratio pttrust ÷ peer: the test lines are
    resampled together for both sides (per-line squared errors; the FVU's denominator is the
    same for both and cancels)."""
    if ours is None or theirs is None or len(ours) != len(theirs) or not ours:
        return None
    import numpy as np
    a, b = np.asarray(ours), np.asarray(theirs)
    idx = np.random.default_rng(seed).integers(0, len(a), (reps, len(a)))
    r = a[idx].sum(1) / b[idx].sum(1)
    return np.percentile(r, 2.5), np.percentile(r, 97.5)


def sae_rows(go, peers, sse, add):
    """The SAE rows: per width, lines/s and test FVU at the paper's lr 2e-4 with each side's default
    initialisation, then each side at the setting of its grid (learning rate x initial scale) of
    lowest validation FVU (both sides ran the same learning rates, split and steps). FVU ratios
    carry a 95 % paired-bootstrap interval over the test lines when both sides' per-line errors
    are there. Raw files from before the initial-scale grid read as the defaults."""
    ours, theirs = {}, {}  # latents -> {(lr, init): metrics}
    for name, m in go.items():
        if name.startswith("BenchmarkPeerSAE/"):
            key = (lr_key(m["lr"]), lr_key(m.get("enc_init", 1)))
            ours.setdefault(int(name.split("/L")[1].split("_")[0]), {})[key] = m
    for p in peers:
        if p["row"] == "sae":
            theirs.setdefault(p["latents"], {})[(lr_key(p["lr"]), lr_key(p.get("decoder_init_norm", 0.1)))] = p
    for lat in sorted(ours):
        o, t = ours[lat], theirs.get(lat, {})
        any_m = next(iter(o.values()))
        data = (f"{any_m['train_lines']:.0f} train lines of d {any_m['dim']:.0f}, {any_m['steps']:.0f} steps; "
                f"FVU on {any_m['test_lines']:.0f} test lines")
        paper = lr_key(2e-4)
        if (paper, lr_key(1)) in o:
            m, p = o[(paper, lr_key(1))], t.get((paper, lr_key(0.1)))
            add(f"SAE training, {lat} latents, k 32, batch 256, lr 2e-4 (the paper's), default initialisations "
                f"({data}): lines/s", m["lines/s"], "SAELens TopK SAE", p and p["lines_per_s"], "lines/s")
            add(f"SAE test FVU after those steps ({lat} latents, lr 2e-4)", m["test_fvu"], "SAELens TopK SAE",
                p and p["test_fvu"], "", lower_better=True,
                ci=ratio_ci(sse.get((lat, paper, lr_key(1))), p and p.get("test_sse")))
        mo = min(o.values(), key=lambda m: m["val_fvu"])
        pt = min(t.values(), key=lambda p: p["val_fvu"]) if t else None
        lrs = ", ".join(sorted({k[0] for k in o}, key=float))
        encs = ", ".join(sorted({k[1] for k in o}, key=float, reverse=True))
        dinits = ", ".join(sorted({k[1] for k in t}, key=float))
        mo_enc = lr_key(mo.get("enc_init", 1))
        chosen = f"pttrust lr {lr_key(mo['lr'])}, encoder_init_scale {mo_enc}" + (
            f"; SAELens lr {lr_key(pt['lr'])}, decoder_init_norm {lr_key(pt.get('decoder_init_norm', 0.1))}" if pt else "")
        add(f"SAE test FVU, {lat} latents, each side at its setting of lowest validation FVU (lr {lrs}; "
            f"pttrust encoder_init_scale {encs}; SAELens decoder_init_norm {dinits or '0.1'}; chosen: {chosen})",
            mo["test_fvu"], "SAELens TopK SAE", pt and pt["test_fvu"], "", lower_better=True,
            ci=ratio_ci(sse.get((lat, lr_key(mo["lr"]), mo_enc)), pt and pt.get("test_sse")))
        add(f"SAE training lines/s at those settings ({lat} latents)", mo["lines/s"], "SAELens TopK SAE",
            pt and pt["lines_per_s"], "lines/s")


def main():
    lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
    meta = next(l for l in lines if l["row"] == "meta")
    go = {l["bench"]: l["metrics"] for l in lines if l.get("side") == "pttrust" and "bench" in l}
    sse = {(l["latents"], lr_key(l["lr"]), lr_key(l.get("enc_init", 1))): l["test_sse"]
           for l in lines if l["row"] == "sae_lines"}
    peers = [l for l in lines if l.get("side") == "peer"]
    rows, versions = [], {}
    for p in peers:
        versions[p["peer"].split(" (")[0]] = p["version"]

    def add(measure, ours, peer_name, theirs, unit, lower_better=False, ci=None):
        ratio = ours / theirs if ours and theirs else None
        text = "—" if ratio is None else f"{ratio:.2f}" + (f" [{ci[0]:.2f}, {ci[1]:.2f}]" if ci else "")
        rows.append((measure, fmt(ours, unit), peer_name, fmt(theirs, unit),
                     text + (" (lower is better)" if lower_better and ratio is not None else "")))

    def peer(**kw):
        for p in peers:
            if all(p.get(k) == v for k, v in kw.items()):
                return p
        return None

    # Row 1: forward, seq 512.
    for b in (1, 8):
        for kind, desc, logits_all in (
                ("states7", "early-layer states (blocks.7: 8 of 30 blocks, no logits)", False),
                ("full", "full pass, log-prob + entropy of every token (30 blocks, all logits)", True)):
            m = go.get(f"BenchmarkSmolLM2/{kind}/b{b}xs512")
            p = peer(row="forward", batch=b, logits_all=logits_all)
            if m is None and p is None:
                continue
            pn = "llama.cpp prompt eval" + (", logits of every token" if logits_all else ", last token's logits")
            add(f"forward, seq 512 × batch {b}: {desc}", m and m.get("tokens/s"), pn, p and p["tokens_per_s"], "tok/s")
    # Row 2: extraction.
    for v, desc, pn, trunc in (
            ("full", "`states extract` (30 blocks, log-prob, entropy, lookback)", "transformers eager, output_hidden_states, + log-prob, entropy", False),
            ("states7", "`states extract --no-token-stats` (8 blocks, lookback)", "transformers eager, layers[:8], output_hidden_states", True)):
        m = go.get(f"BenchmarkPeerExtract/{v}")
        p = peer(row="extract", variant=v)
        if m is None and p is None:
            continue
        cold = f"; first run, compiling: {fmt(m['cold_tokens/s'], 'tok/s')}" if m else ""
        tokens = f"{m['tokens']:.0f} tokens in {m['batches']:.0f} batches" if m else ""
        add(f"line-state extraction, {desc} ({tokens}{cold})", m and m.get("tokens/s"), pn, p and p["tokens_per_s"], "tok/s")
    # Row 3: SAE, at the paper's learning rate and at each side's rate of lowest validation FVU.
    sae_rows(go, peers, sse, add)
    # Row 4: Parquet.
    for op in ("write", "read"):
        m = go.get(f"BenchmarkPeerShard/{op}")
        p = peer(row="parquet", op=op)
        if m is None and p is None:
            continue
        size = f"{m['rows']:.0f} rows, {m['file_MB']:.1f} MB zstd" if m else ""
        if p:
            size += f"; pyarrow's file of the same table: {p['peer_file_MB']:.1f} MB"
        add(f"Parquet shard {op} ({size})", m and m.get("MB/s"), "pyarrow", p and p["MB_per_s"], "MB/s")

    out = [f"# pttrust vs peers{' (quick smoke run: tiny sizes, not a measurement)' if meta['quick'] else ''}", "",
           f"Machine: {meta['cpu']}, {meta['cores']} cores; every side ran with {meta['threads']} threads "
           f"(GOMAXPROCS, llama.cpp n_threads, torch.set_num_threads). Date: {meta['date']}. "
           f"pttrust {meta['pttrust']} ({meta['go']}, GOEXPERIMENT=simd, pure-Go backend); Python {meta['python']}.",
           "", "Peers: " + "; ".join(f"{k}: {v}" for k, v in sorted(versions.items())) + ".", "",
           f"Model: SmolLM2-135M-Instruct, `{meta['model'].split('/')[-1]}` (the same file on every side).", "",
           "| measure | pttrust | peer | peer's value | pttrust ÷ peer |", "|---|---:|---|---:|---:|"]
    out += [f"| {' | '.join(r)} |" for r in rows]
    out += ["", "Ratios above 1: pttrust is faster (FVU: lower is better). What differs between the sides:",
            "- Forward: llama.cpp keeps the Q4_1 weights quantized (its own int kernels); pttrust dequantizes to "
            "float32. A batch of 8 is 8 prompts evaluated one after the other into a fresh KV cache each.",
            "- Extraction: pttrust's tokens/s is the whole command (read Parquet, tokenize, map lines, forward, "
            "lookback ratio, write shards); transformers only runs the forward batches pttrust ran (rows "
            "right-padded to the batch's longest, attention mask) and gathers the same line-end states.",
            "- SAE: pttrust reads the states from the Parquet shards in the first epoch and replays them from "
            "memory after (they fit its memory_cache), through its shuffle buffer; "
            "the SAELens loop samples an in-memory tensor. Both: input LayerNorm, b_pre/b_dec from the mean, "
            "Adam(W) with warm-up, clip 1.0, AuxK coefficient 1/32 (SAELens takes d_in/2 dead latents, "
            "pttrust 64); pttrust's decoder rows stay at unit norm, SAELens' start at 0.1 and are free "
            "(rescale_acts_by_decoder_norm), so the two reach their best FVU at different learning rates "
            "and initial scales: each side runs the same learning rates, and three initial scales of its "
            "own (pttrust's encoder_init_scale 1, 0.3, 0.1; SAELens' decoder_init_norm 0.1, 0.3, 1), on the "
            "same split of the lines (80 % train, 10 % validation, 10 % test, a line and its mutants "
            "together), its setting is chosen on the validation FVU, the test FVU reported, with a 95 % "
            "paired-bootstrap interval of the ratio over the test lines. The first step "
            "of each run is not timed. FVU in the normalised space.",
            "- Parquet: MB/s counts the bytes of pttrust's shard file for both; pyarrow's read includes "
            "turning the state column into a float32 matrix, pttrust's the SHA-256 check and the Go rows."]
    print("\n".join(out))


if __name__ == "__main__":
    main()
