#!/usr/bin/env python3
"""Forward-pass throughput of Hugging Face transformers (eager PyTorch) on a
Qwen2.5-Coder-0.5B-shaped model with random weights: the baseline for pttrust's
BenchmarkGPUForwardQwen05B (see scripts/gpu/README.md for the Go command).

Two workloads, both with output_hidden_states=True and the hidden states copied to the host
(pttrust returns its states to Go memory, so that copy is part of the work):
  states          the base model (no lm_head): every block's output
  states+logprobs the causal LM: states, plus per-token log-prob and entropy computed on the GPU
                  from the full logits and copied to the host ([batch, seq] each)

For each dtype (float32, bfloat16) and attention implementation (eager, sdpa) it prints
tokens/s (batch*seq / seconds per forward pass, after warm-up) and writes JSON lines with --json.
TF32 matmuls are off unless --tf32 (PyTorch's default), matching GOMLX_BACKEND=xla:cuda,tf32=false.

    python3 scripts/gpu/throughput.py --batch 8 --seq 512 --json /tmp/hf_throughput.jsonl
"""

import argparse
import json
import time

import torch
import transformers
from transformers import Qwen2Config, Qwen2ForCausalLM


def qwen05b_config(layers):
    return Qwen2Config(vocab_size=151936, hidden_size=896, intermediate_size=4864, num_hidden_layers=layers,
                       num_attention_heads=14, num_key_value_heads=2, max_position_embeddings=32768,
                       rope_theta=1e6, rms_norm_eps=1e-6, hidden_act="silu", tie_word_embeddings=True,
                       use_sliding_window=False)


def build(cfg, dtype, attn, device):
    try:
        model = Qwen2ForCausalLM._from_config(cfg, attn_implementation=attn, torch_dtype=dtype)
    except TypeError:
        model = Qwen2ForCausalLM._from_config(cfg, attn_implementation=attn, dtype=dtype)
    return model.to(device=device, dtype=dtype).eval()


def token_stats(logits, ids):
    """log p(token t | < t) for t >= 1 and the entropy of each position's distribution."""
    lp = torch.log_softmax(logits.float(), dim=-1)
    tok = lp[:, :-1].gather(-1, ids[:, 1:, None]).squeeze(-1)
    ent = -(lp.exp() * lp).sum(-1)
    return tok, ent


def bench(model, ids, workload, iters, warmup):
    def step():
        with torch.no_grad():
            if workload == "states":
                out = model.model(input_ids=ids, output_hidden_states=True, use_cache=False)
                host = torch.stack(out.hidden_states[1:]).float().cpu()
            else:
                out = model(input_ids=ids, output_hidden_states=True, use_cache=False)
                tok, ent = token_stats(out.logits, ids)
                host = (torch.stack(out.hidden_states[1:]).float().cpu(), tok.cpu(), ent.cpu())
        return host

    for _ in range(warmup):
        step()
    torch.cuda.synchronize()
    times = []
    for _ in range(iters):
        start = time.perf_counter()
        step()
        torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    times.sort()
    return times[len(times) // 2], times[0]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--seq", type=int, default=512)
    ap.add_argument("--layers", type=int, default=24)
    ap.add_argument("--dtypes", default="float32,bfloat16")
    ap.add_argument("--attn", default="eager,sdpa")
    ap.add_argument("--workloads", default="states,states+logprobs")
    ap.add_argument("--iters", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--tf32", action="store_true", help="allow TF32 matmuls (off by default)")
    ap.add_argument("--json", default="", help="append one JSON line per measurement to this file")
    args = ap.parse_args()
    assert torch.cuda.is_available(), "needs a CUDA GPU"
    torch.backends.cuda.matmul.allow_tf32 = args.tf32
    torch.backends.cudnn.allow_tf32 = args.tf32
    dev = torch.device("cuda")
    print(f"torch {torch.__version__}, transformers {transformers.__version__}, {torch.cuda.get_device_name(0)}, "
          f"tf32={args.tf32}, batch {args.batch} x seq {args.seq}, {args.layers} layers")
    gen = torch.Generator().manual_seed(0)
    ids = torch.randint(0, 151936, (args.batch, args.seq), generator=gen).to(dev)
    cfg = qwen05b_config(args.layers)
    print(f"{'dtype':9} {'attn':6} {'workload':16} {'tokens/s':>10} {'median ms':>10} {'best ms':>9}")
    for dname in args.dtypes.split(","):
        dtype = getattr(torch, dname)
        for attn in args.attn.split(","):
            model = build(cfg, dtype, attn, dev)
            for workload in args.workloads.split(","):
                med, best = bench(model, ids, workload, args.iters, args.warmup)
                tps = args.batch * args.seq / med
                print(f"{dname:9} {attn:6} {workload:16} {tps:10.0f} {med * 1e3:10.1f} {best * 1e3:9.1f}")
                if args.json:
                    with open(args.json, "a") as f:
                        f.write(json.dumps({"impl": "transformers", "dtype": dname, "attn": attn,
                                            "workload": workload, "batch": args.batch, "seq": args.seq,
                                            "layers": args.layers, "tf32": args.tf32, "tokens_per_s": tps,
                                            "median_s": med, "best_s": best, "gpu": torch.cuda.get_device_name(0),
                                            "torch": torch.__version__,
                                            "transformers": transformers.__version__}) + "\n")
            del model
            torch.cuda.empty_cache()


if __name__ == "__main__":
    main()
