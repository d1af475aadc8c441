"""Peer of the extraction row of `just bench-peers`: transformers (torch, CPU, float32, eager
attention) reading the hidden states with output_hidden_states=True, on the same forward
batches pttrust's extraction ran (batches-VARIANT.json, written by BenchmarkPeerExtract:
windows of token ids and the line-end positions kept), the same model (the GGUF file, loaded by
transformers and dequantized to float32 as pttrust does).

"full" runs the whole causal LM (30 blocks and the logits) and computes what pttrust's full pass
keeps: the line-end states of the hook, every token's log-prob and entropy. --truncate keeps the
first layer+1 blocks (model.model.layers = layers[:8]) and runs the base model (no logits), as
pttrust's --no-token-stats pass does. Rows of a batch are right-padded to its longest row with an
attention mask. Tokenization, Parquet reading and writing are not timed (pttrust's tokens/s
includes them). Prints one JSON line.

  python hf_peer.py --gguf FILE --batches batches-full.json --threads 2 [--truncate]
"""
import argparse
import json
import os
import time

import torch
import transformers
from transformers import AutoModelForCausalLM

transformers.utils.logging.disable_progress_bar()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gguf", required=True)
    ap.add_argument("--batches", required=True)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--truncate", action="store_true")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    with open(a.batches) as f:
        spec = json.load(f)
    layer = spec["layer"]
    model = AutoModelForCausalLM.from_pretrained(
        os.path.dirname(a.gguf), gguf_file=os.path.basename(a.gguf), dtype=torch.float32,
        attn_implementation="eager")
    model.eval()
    if a.truncate:
        model.model.layers = model.model.layers[: layer + 1]
        model.config.num_hidden_layers = layer + 1

    def run(batch):
        n = max(len(r) for r in batch["ids"])
        ids = torch.zeros((len(batch["ids"]), n), dtype=torch.long)
        mask = torch.zeros_like(ids)
        for i, r in enumerate(batch["ids"]):
            ids[i, : len(r)] = torch.tensor(r)
            mask[i, : len(r)] = 1
        if a.truncate:
            out = model.model(input_ids=ids, attention_mask=mask, output_hidden_states=True, use_cache=False)
        else:
            out = model(input_ids=ids, attention_mask=mask, output_hidden_states=True, use_cache=False)
        h = out.hidden_states[layer + 1]
        states = [h[i, torch.tensor(k, dtype=torch.long)].numpy() for i, k in enumerate(batch["keep"])]
        if not a.truncate:
            logp = torch.log_softmax(out.logits, dim=-1)
            token_lp = logp[:, :-1].gather(-1, ids[:, 1:, None])[..., 0].numpy()
            entropy = -(logp.exp() * logp).sum(-1).numpy()
            return states, token_lp, entropy
        return states

    with torch.inference_mode():
        run(spec["batches"][0])  # warm-up
        t0 = time.perf_counter()
        for b in spec["batches"]:
            run(b)
        sec = time.perf_counter() - t0
    print(json.dumps({
        "row": "extract", "side": "peer", "peer": "transformers" + (" (8 layers)" if a.truncate else ""),
        "variant": spec["variant"], "version": f"transformers {transformers.__version__}, torch {torch.__version__}",
        "threads": a.threads, "tokens": spec["tokens"], "batches": len(spec["batches"]),
        "tokens_per_s": spec["tokens"] / sec}))


if __name__ == "__main__":
    main()
