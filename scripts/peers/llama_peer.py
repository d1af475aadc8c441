"""Peer of the forward row of `just bench-peers`: llama.cpp (llama-cpp-python) prompt processing
of the SmolLM2 GGUF file that pttrust reads (same file, Q4_1 weights in llama.cpp's own
quantized kernels; pttrust dequantizes them to float32).

Each prompt is --seq random token ids evaluated into a fresh KV cache (reset before every
prompt); --batch prompts are evaluated one after the other (llama.cpp's CLI benchmark does the
same for its pp test), tokens/s = batch x seq / time. --logits-all makes llama.cpp compute the
logits of every position (as pttrust's full pass does), otherwise only the last one's.
Prints one JSON line.

  python llama_peer.py --gguf FILE --threads 2 --batch 8 --reps 3 [--logits-all]
"""
import argparse
import json
import time

import numpy as np
import llama_cpp
from llama_cpp import Llama


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gguf", required=True)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seq", type=int, default=512)
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--logits-all", action="store_true")
    a = ap.parse_args()
    llm = Llama(model_path=a.gguf, n_ctx=a.seq, n_batch=512, n_ubatch=512, n_threads=a.threads,
                n_threads_batch=a.threads, logits_all=a.logits_all, seed=1, verbose=False)
    rng = np.random.default_rng(1)
    prompts = [[int(t) for t in rng.integers(0, llm.n_vocab(), a.seq)] for _ in range(a.batch)]

    def run():
        for p in prompts:
            llm.reset()  # n_tokens = 0: eval drops the whole KV cache before these tokens
            llm.eval(p)

    llm.reset()
    llm.eval(prompts[0])  # warm-up (first touch of the weights, thread pool)
    t0 = time.perf_counter()
    for _ in range(a.reps):
        run()
    sec = (time.perf_counter() - t0) / a.reps
    print(json.dumps({
        "row": "forward", "side": "peer", "peer": "llama.cpp", "version": "llama-cpp-python " + llama_cpp.__version__,
        "batch": a.batch, "seq": a.seq, "threads": a.threads, "logits_all": a.logits_all, "reps": a.reps,
        "tokens_per_s": a.batch * a.seq / sec}))


if __name__ == "__main__":
    main()
