#!/usr/bin/env python3
"""Fixtures for models/hfparity_test.go: hidden states of small random models run by transformers.

For each case (a small random Qwen2 with tied embeddings, a Qwen2 with an untied lm_head, and a
GPT-2) this script builds the model with transformers, gives every parameter random values
(including the biases and norm scales that transformers initialises to 0 and 1, so that those
paths are tested too), saves the checkpoint with save_pretrained (safetensors), runs it in float32
with output_hidden_states=True, and writes OUT/<case>/hf_states.safetensors with:

    input_ids          I64 [batch, seq]
    hidden_states.{i}  F32 [batch, seq, d]   i = 0..L (HF's tuple: input of block i; the last
                                             entry has the final norm applied)
    block_out.{i}      F32 [batch, seq, d]   raw output of block i (forward hooks)
    logits             F32 [batch, seq, vocab]

and in the safetensors metadata the torch and transformers versions and the model class.

It needs torch, transformers and safetensors (a dependency of transformers). A GPU is not needed:
the models are tiny and run on the CPU by default (--device cuda to use one). Then, from the
repository root:

    PTTRUST_HF_PARITY_DIR=OUT go test -run TestHFParity -v ./models/
    # or on a GPU, with a -tags xla test binary (see scripts/gpu/README.md):
    cd models && PTTRUST_HF_PARITY_DIR=OUT GOMLX_BACKEND=xla:cuda,tf32=false ../bin/models-xla.test -test.run TestHFParity -test.v
"""

import argparse
import json
import os
import sys

import torch
import transformers
from safetensors.torch import save_file
from transformers import GPT2Config, GPT2LMHeadModel, Qwen2Config, Qwen2ForCausalLM

VOCAB = 512


def cases():
    common = dict(vocab_size=VOCAB, hidden_size=64, intermediate_size=176, num_hidden_layers=3,
                  num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=256,
                  rms_norm_eps=1e-6, hidden_act="silu", use_sliding_window=False)
    return {
        # Qwen2.5-Coder-0.5B has tied embeddings and rope_theta 1e6.
        "qwen2": (Qwen2ForCausalLM, Qwen2Config(**common, rope_theta=1e6, tie_word_embeddings=True)),
        "qwen2_untied": (Qwen2ForCausalLM, Qwen2Config(**common, rope_theta=10000.0, tie_word_embeddings=False)),
        "gpt2": (GPT2LMHeadModel, GPT2Config(vocab_size=VOCAB, n_embd=64, n_layer=3, n_head=4, n_positions=128,
                                             activation_function="gelu_new", layer_norm_epsilon=1e-5,
                                             resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0)),
    }


def build(cls, cfg):
    """The model in float32 with the eager (reference) attention."""
    try:
        model = cls._from_config(cfg, attn_implementation="eager")
    except (TypeError, ValueError):
        cfg._attn_implementation = "eager"
        model = cls(cfg)
    return model.float().eval()


def randomize(model, gen):
    """Random values for every parameter: N(0, 0.02) for matrices, N(0, 0.1) for biases, 1 + N(0, 0.1)
    for norm scales, so that biases and norm parameters matter."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            noise = torch.randn(p.shape, generator=gen, dtype=torch.float32)
            if p.ndim >= 2:
                p.copy_(noise * 0.02)
            elif name.endswith("weight"):  # RMSNorm / LayerNorm scale
                p.copy_(1.0 + 0.1 * noise)
            else:
                p.copy_(0.1 * noise)


def blocks_of(model):
    if hasattr(model, "model") and hasattr(model.model, "layers"):
        return model.model.layers
    return model.transformer.h


def patch_config(path):
    """transformers v5 writes rope_theta inside rope_parameters only; copy it to the top level
    (where checkpoints published so far have it) and say so. Returns a note or ''."""
    with open(path) as f:
        cfg = json.load(f)
    rp = cfg.get("rope_parameters")
    if "rope_theta" in cfg or not isinstance(rp, dict) or "rope_theta" not in rp:
        return ""
    cfg["rope_theta"] = rp["rope_theta"]
    with open(path, "w") as f:
        json.dump(cfg, f, indent=2)
    return "rope_theta copied from rope_parameters to the top level of config.json"


def run_case(name, cls, cfg, out, args):
    gen = torch.Generator().manual_seed(args.seed)
    model = build(cls, cfg)
    randomize(model, gen)
    d = os.path.join(out, name)
    os.makedirs(d, exist_ok=True)
    try:
        model.save_pretrained(d, safe_serialization=True)
    except TypeError:  # versions without the argument always write safetensors
        model.save_pretrained(d)
    note = "" if args.no_config_patch else patch_config(os.path.join(d, "config.json"))
    if note:
        print(f"NOTE {name}: {note} (the Go loader reads only the top-level key)", file=sys.stderr)

    model = model.to(args.device)
    ids = torch.randint(0, VOCAB, (args.batch, args.seq), generator=gen, dtype=torch.int64)
    captured = []

    def hook(_module, _inputs, output):
        captured.append((output[0] if isinstance(output, tuple) else output).detach())

    handles = [b.register_forward_hook(hook) for b in blocks_of(model)]
    with torch.no_grad():
        res = model(input_ids=ids.to(args.device), output_hidden_states=True, use_cache=False)
    for h in handles:
        h.remove()
    L = len(blocks_of(model))
    hs = res.hidden_states
    assert len(hs) == L + 1, f"{name}: {len(hs)} hidden states for {L} blocks"
    assert len(captured) == L, f"{name}: {len(captured)} block outputs for {L} blocks"

    tensors = {"input_ids": ids.contiguous()}
    for i, h in enumerate(hs):
        tensors[f"hidden_states.{i}"] = h.float().cpu().contiguous()
    for i, h in enumerate(captured):
        tensors[f"block_out.{i}"] = h.float().cpu().contiguous()
    tensors["logits"] = res.logits.float().cpu().contiguous()
    meta = {"torch_version": torch.__version__, "transformers_version": transformers.__version__,
            "model_class": cls.__name__, "attn_implementation": "eager", "device": args.device,
            "seed": str(args.seed), "config_note": note}
    save_file(tensors, os.path.join(d, "hf_states.safetensors"), metadata=meta)
    # HF's own consistency: hidden_states[i+1] is block i's output for i < L-1.
    worst = max((hs[i + 1] - captured[i]).abs().max().item() for i in range(L - 1)) if L > 1 else 0.0
    print(f"{name}: {cls.__name__}, {L} blocks, d={tensors['hidden_states.0'].shape[-1]}, "
          f"input {tuple(ids.shape)}, |hidden_states[i+1]-block_out[i]| max {worst:.1e} -> {d}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, help="output directory (one subdirectory per case)")
    ap.add_argument("--batch", type=int, default=2)
    ap.add_argument("--seq", type=int, default=24)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--device", default="cpu", help="cpu (default) or cuda")
    ap.add_argument("--cases", default="", help="comma-separated subset of: " + ", ".join(cases()))
    ap.add_argument("--no-config-patch", action="store_true",
                    help="keep config.json exactly as save_pretrained wrote it")
    args = ap.parse_args()
    if args.device == "cuda":
        # Full float32 matmuls, like the Go side's tf32=false.
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
    print(f"torch {torch.__version__}, transformers {transformers.__version__}, device {args.device}")
    want = [c for c in args.cases.split(",") if c]
    for name, (cls, cfg) in cases().items():
        if want and name not in want:
            continue
        run_case(name, cls, cfg, args.out, args)


if __name__ == "__main__":
    main()
