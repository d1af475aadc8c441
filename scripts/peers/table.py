"""Builds the Markdown table of `just bench-peers` (scripts/peers/run.sh) from its raw JSON lines:
one row per measure, pttrust's value, the peer's, and the ratio pttrust ÷ peer (above 1: pttrust
is faster; for FVU, lower is better). Prints Markdown. With --choose, prints instead the SAE
settings chosen on validation FVU, one "side latents lr init steps" line each, for run.sh's
runs of more seeds there.

  python table.py results/peers/raw.jsonl > results/peers/peers.md
  python table.py --choose results/peers/raw.jsonl
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


def parse_sae_bench(name, m):
    """(latents, lr, init, seed) of a BenchmarkPeerSAE sub-benchmark: L<l>_k32_b256/lr<lr>/<init>/seed<s>
    (raw files from before the initialisation grid: L<l>_k32_b256/lr<lr>[/enc<s>], read as unit<s>, seed 1)."""
    parts = name.split("/")[1:]
    lat = int(parts[0][1:].split("_")[0])
    init = next((p for p in parts[2:] if p.startswith(("unit", "free"))), None)
    if init is None:
        enc = next((p[3:] for p in parts[2:] if p.startswith("enc")), "1")
        init = "unit" + lr_key(enc)
    seed = next((int(p[4:]) for p in parts[2:] if p.startswith("seed")), 1)
    return lat, lr_key(m["lr"]), init, seed


def sae_runs(go, peers):
    """Both sides' SAE runs: {side: {latents: {(lr, init): {seed: metrics}}}}; the peer's init is
    "free<decoder_init_norm>" (SAELens' parametrisation, as pttrust's decoder_norm "free")."""
    runs = {"pttrust": {}, "peer": {}}
    for name, m in go.items():
        if name.startswith("BenchmarkPeerSAE/"):
            lat, lr, init, seed = parse_sae_bench(name, m)
            runs["pttrust"].setdefault(lat, {}).setdefault((lr, init), {})[seed] = m
    for p in peers:
        if p["row"] == "sae":
            init = "free" + lr_key(p.get("decoder_init_norm", 0.1))
            runs["peer"].setdefault(p["latents"], {}).setdefault((lr_key(p["lr"]), init), {})[p.get("seed", 1)] = p
    return runs


def choose(settings, kind):
    """The setting ((lr, init)) of lowest validation FVU among the inits of kind ("unit" or
    "free"), on seed 1 (the grid's seed; more seeds run afterwards at the chosen settings only)."""
    cands = [(seeds[1]["val_fvu"], k) for k, seeds in settings.items() if k[1].startswith(kind) and 1 in seeds]
    return min(cands)[1] if cands else None


def chosen_settings(go, peers):
    """Lines "side latents lr init steps" for scripts/peers/run.sh's seed pass: per width,
    pttrust's chosen free and unit settings and SAELens'."""
    runs = sae_runs(go, peers)
    out = []
    for lat, settings in sorted(runs["pttrust"].items()):
        steps = int(next(iter(next(iter(settings.values())).values()))["steps"])
        for kind in ("free", "unit"):
            c = choose(settings, kind)
            if c:
                out.append(f"pttrust {lat} {c[0]} {c[1]} {steps}")
        c = choose(runs["peer"].get(lat, {}), "free")
        if c:
            out.append(f"peer {lat} {c[0]} {c[1][4:]} {steps}")
    return out


def mean(vs):
    return sum(vs) / len(vs) if vs else None


def seeds_sse(sse, side, lat, lr, init, seeds):
    """The per-line test errors averaged over seeds (None if any is missing)."""
    rows = [sse.get((side, lat, lr, init, s)) for s in seeds]
    if not rows or any(r is None for r in rows):
        return None
    return [sum(v) / len(rows) for v in zip(*rows)]


def sae_rows(go, peers, sse, add):
    """The SAE rows, per width: lines/s and test FVU at the paper's lr 2e-4 with each side's
    default initialisation (seed 1); then each side at its setting (learning rate x
    initialisation) of lowest validation FVU on seed 1, first in the same parametrisation
    (pttrust's decoder_norm "free", SAELens' own, the same three initial norms), then pttrust's
    default unit decoder rows: test FVU and lines/s averaged over the seeds run there, the FVU
    ratio with a 95 % paired-bootstrap interval over the test lines of the seed-averaged errors."""
    runs = sae_runs(go, peers)
    for lat in sorted(runs["pttrust"]):
        o, t = runs["pttrust"][lat], runs["peer"].get(lat, {})
        any_m = next(iter(next(iter(o.values())).values()))
        data = (f"{any_m['train_lines']:.0f} train lines of d {any_m['dim']:.0f}, {any_m['steps']:.0f} steps; "
                f"FVU on {any_m['test_lines']:.0f} test lines")
        paper = lr_key(2e-4)
        m, p = o.get((paper, "unit1"), {}).get(1), t.get((paper, "free0.1"), {}).get(1)
        if m:
            add(f"SAE training, {lat} latents, k 32, batch 256, lr 2e-4 (the paper's), default initialisations "
                f"({data}): lines/s", m["lines/s"], "SAELens TopK SAE", p and p["lines_per_s"], "lines/s")
            add(f"SAE test FVU after those steps ({lat} latents, lr 2e-4)", m["test_fvu"], "SAELens TopK SAE",
                p and p["test_fvu"], "", lower_better=True,
                ci=ratio_ci(sse.get(("pttrust", lat, paper, "unit1", 1)), p and p.get("test_sse")))
        pc = choose(t, "free")
        pseeds = sorted(t[pc]) if pc else []
        lrs = ", ".join(sorted({k[0] for k in o}, key=float))
        for kind, what in (("free", "the same parametrisation (decoder rows free, SAELens' rescale_acts_by_decoder_norm; "
                                     "initial norms " + ", ".join(sorted({k[1][4:] for k in o if k[1].startswith('free')}, key=float)) + ")"),
                            ("unit", "pttrust's unit decoder rows (encoder_init_scale " +
                                     ", ".join(sorted({k[1][4:] for k in o if k[1].startswith('unit')}, key=float, reverse=True)) +
                                     ") against SAELens' own")):
            oc = choose(o, kind)
            if not oc:
                continue
            oseeds = sorted(o[oc])
            chosen = f"pttrust lr {oc[0]}, {oc[1]}" + (f"; SAELens lr {pc[0]}, {pc[1]}" if pc else "")
            seeds = f"seeds: pttrust {len(oseeds)}" + (f", SAELens {len(pseeds)}" if pc else "")
            ofvu = [o[oc][s]["test_fvu"] for s in oseeds]
            pfvu = [t[pc][s]["test_fvu"] for s in pseeds] if pc else []
            spread = f"pttrust {min(ofvu):.4f}–{max(ofvu):.4f}" + (f", SAELens {min(pfvu):.4f}–{max(pfvu):.4f}" if pfvu else "")
            add(f"SAE test FVU, {lat} latents, {what}: each side at its setting of lowest validation FVU (lr {lrs}; "
                f"chosen: {chosen}), mean over seeds ({seeds}; range {spread})",
                mean(ofvu), "SAELens TopK SAE", mean(pfvu), "", lower_better=True,
                ci=ratio_ci(seeds_sse(sse, "pttrust", lat, oc[0], oc[1], oseeds),
                            seeds_sse(sse, "peer", lat, pc[0], pc[1], pseeds) if pc else None))
            add(f"SAE training lines/s at those settings ({lat} latents, {kind} rows), mean over seeds",
                mean([o[oc][s]["lines/s"] for s in oseeds]), "SAELens TopK SAE",
                mean([t[pc][s]["lines_per_s"] for s in pseeds]) if pc else None, "lines/s")


def main():
    args = sys.argv[1:]
    only_choose = args[:1] == ["--choose"]
    lines = [json.loads(l) for l in open(args[-1]) if l.strip()]
    go = {l["bench"]: l["metrics"] for l in lines if l.get("side") == "pttrust" and "bench" in l}
    if only_choose:
        print("\n".join(chosen_settings(go, [l for l in lines if l.get("side") == "peer"])))
        return
    meta = next(l for l in lines if l["row"] == "meta")
    sse = {}  # (side, latents, lr, init, seed) -> per-line test errors
    for l in lines:
        if l["row"] == "sae_lines":  # pttrust's; old raw files: no init or seed
            init = l.get("init") or "unit" + lr_key(l.get("enc_init", 1))
            sse[("pttrust", l["latents"], lr_key(l["lr"]), init, l.get("seed", 1))] = l["test_sse"]
        elif l["row"] == "sae" and "test_sse" in l:
            sse[("peer", l["latents"], lr_key(l["lr"]), "free" + lr_key(l.get("decoder_init_norm", 0.1)),
                 l.get("seed", 1))] = l["test_sse"]
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
            "Adam(W) with warm-up, AuxK coefficient 1/32 (SAELens takes d_in/2 dead latents, pttrust 64), "
            "SAELens' gradient clip 1.0 on its loss, summed over the components, which is pttrust's loss "
            "(divided by the batch's variance) times the lines' mean squared distance to their mean: pttrust "
            "clips at 1 over that (its default 1.0 never clips this loss; SAELens' clip always does). "
            "Initialisations: pttrust's default unit decoder rows (encoder_init_scale 1 and 0.3), and "
            "SAELens' parametrisation on both sides (decoder rows free, each latent's pre-activation times "
            "its row's norm: pttrust's decoder_norm \"free\"; initial norms 0.1, SAELens' default, 0.3 "
            "and 1). Each side runs the same learning rates on the same split of the lines (80 % train, "
            "10 % validation, 10 % test, a line and its mutants together) with seed 1, its setting is "
            "chosen on the validation FVU, two more seeds run there, and the seeds' mean test FVU is "
            "reported with a 95 % paired-bootstrap interval of the ratio over the test lines (of the "
            "seed-averaged per-line errors; the seeds' range beside it). The first step of each run is "
            "not timed. FVU in the normalised space.",
            "- Parquet: MB/s counts the bytes of pttrust's shard file for both; pyarrow's read includes "
            "turning the state column into a float32 matrix, pttrust's the SHA-256 check and the Go rows."]
    print("\n".join(out))


if __name__ == "__main__":
    main()
