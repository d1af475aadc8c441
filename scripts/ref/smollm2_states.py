#!/usr/bin/env python3
"""Reference hidden states of SmolLM2 from Hugging Face transformers (CPU, float32) loading the
same GGUF file (gguf_file=, which dequantizes with gguf-py and undoes llama.cpp's q/k
permutation), for the Go parity test. Writes models/testdata/smollm2/states.safetensors
(committed, ~0.5 MB): for each of several real code files of models/testdata/smollm2/corpus,
the input ids (llama.cpp's tokenization, from tokens.json), 8 sampled positions, and at those
positions embed, blocks.{0,7,15,29}.resid_post (each decoder layer's output, taken with forward
hooks) and the logits on a fixed subset of 528 vocabulary ids, with the full-vocabulary
logsumexp and argmax.

With --converted DIR (the output of `pttrust lm convert FILE.gguf --out DIR`), it also loads
that directory with transformers and with its tokenizer.json, and prints how far its states are
from the GGUF's and whether its tokenizer's ids equal llama.cpp's: `lm convert` writes what
transformers loads.

Usage: $PY scripts/ref/smollm2_states.py FILE.gguf [--converted DIR]
"""
import argparse
import json
from pathlib import Path

import numpy as np
import torch
from safetensors.numpy import save_file

ROOT = Path(__file__).resolve().parents[2]
FIX = ROOT / "models/testdata/smollm2"
FILES = ["stack.go", "queue.py", "Shapes.java", "edge.c", "greet.js"]
LAYERS = [0, 7, 15, 29]
N_POS = 8


def run(model, ids):
    caught = {}
    hooks = [model.model.embed_tokens.register_forward_hook(lambda m, i, o: caught.__setitem__("embed", o))]
    for l in LAYERS:
        hooks.append(model.model.layers[l].register_forward_hook(
            lambda m, i, o, l=l: caught.__setitem__(f"blocks.{l}.resid_post", o[0] if isinstance(o, tuple) else o)))
    with torch.no_grad():
        logits = model(torch.tensor([ids])).logits[0]
    for h in hooks:
        h.remove()
    return {k: v[0] for k, v in caught.items()}, logits


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("gguf", type=Path)
    ap.add_argument("--converted", type=Path)
    a = ap.parse_args()
    import transformers
    from transformers import AutoModelForCausalLM, AutoTokenizer
    torch.manual_seed(0)
    torch.set_num_threads(2)
    g = a.gguf.resolve()
    model = AutoModelForCausalLM.from_pretrained(str(g.parent), gguf_file=g.name, dtype=torch.float32)
    model.eval()
    conv = None
    if a.converted:
        conv = AutoModelForCausalLM.from_pretrained(str(a.converted), dtype=torch.float32).eval()
        conv_tok = AutoTokenizer.from_pretrained(str(a.converted))
    toks = json.loads((FIX / "tokens.json").read_text())["files"]
    rng = np.random.default_rng(7)
    vocab_ids = np.unique(np.concatenate([np.arange(16), rng.choice(model.config.vocab_size, 512, replace=False)])).astype(np.int64)
    out = {"vocab_ids": vocab_ids}
    worst_conv = 0.0
    for name in FILES:
        ids = toks[name]["llama_cpp"]
        pos = np.unique(np.linspace(0, len(ids) - 1, N_POS).round().astype(np.int64))
        states, logits = run(model, ids)
        out[f"{name}/input_ids"] = np.array(ids, dtype=np.int64)
        out[f"{name}/positions"] = pos
        for k, v in states.items():
            out[f"{name}/{k}"] = v[pos].numpy().astype(np.float32)
        lp = logits[pos]
        out[f"{name}/logits"] = lp[:, vocab_ids].numpy().astype(np.float32)
        out[f"{name}/logsumexp"] = torch.logsumexp(lp.double(), dim=-1).numpy().astype(np.float32)
        out[f"{name}/argmax"] = lp.argmax(dim=-1).numpy().astype(np.int64)
        if conv is not None:
            cstates, clogits = run(conv, ids)
            d = max([float((cstates[k] - states[k]).abs().max()) for k in states] + [float((clogits - logits).abs().max())])
            worst_conv = max(worst_conv, d)
            text = (FIX / "corpus" / name).read_bytes().decode("utf-8")  # keep CRLF
            same = conv_tok(text, add_special_tokens=False)["input_ids"] == ids
            print(f"{name}: converted dir vs GGUF max |Δ| = {d:.3e}; converted tokenizer == llama.cpp: {same}")
    meta = {"transformers": transformers.__version__, "torch": torch.__version__, "gguf": g.name,
            "layers": ",".join(map(str, LAYERS)), "files": ",".join(FILES)}
    save_file(out, str(FIX / "states.safetensors"), metadata=meta)
    print("wrote", FIX / "states.safetensors", meta)
    if conv is not None:
        print(f"converted directory: max |Δ| over every state and logit = {worst_conv:.3e}")


if __name__ == "__main__":
    main()
